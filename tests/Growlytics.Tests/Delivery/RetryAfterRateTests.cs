using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using GrowlyticsSdk.Delivery;
using GrowlyticsSdk.Diagnostics;
using GrowlyticsSdk.Protocols;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using static GrowlyticsSdk.Tests.TestSupport.FakeClockDriver;

namespace GrowlyticsSdk.Tests.Delivery;

/// <summary>
/// A service that answers every request "429, Retry-After: 1" (or a bare 429) is sent at most as many requests per second
/// as the client's (halving) concurrency limit: a slot whose answer asked to come back later is taken for that long (a
/// bare 429's for a second). Answers come fast, so a limit on requests in flight alone let every waiting batch try again
/// every second (or, without Retry-After, within its backoff).
/// </summary>
public sealed class RetryAfterRateTests
{
    private static readonly ReadOnlyMemory<byte>[] Message = ["{}"u8.ToArray()];
    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(100);

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task SendAsync_EveryAnswer429_RequestsPerSecondStayWithinTheHalvingLimit(bool saysWhen)
    {
        var time = new FakeTimeProvider();
        var service = new RateLimitedFor(time, TimeSpan.FromSeconds(4), saysWhen);
        using var http = new HttpClient(service);
        var sender = NewSender(time, http, GrowlyticsProtocol.Batch, slots: 8, maxRetryAttempts: 6);

        var sends = Enumerable.Range(0, 32).Select(_ => sender.SendAsync(Message, holdsSlot: false, CancellationToken.None)).ToList();
        (await AdvanceUntilAsync(time, Task.WhenAll(sends), TimeSpan.FromMinutes(2), Step)).Should().BeTrue();

        // The limit halves at most once a second: 8, 4, 2, 1 requests in the four seconds the service refuses.
        var refused = service.Seconds.Where(s => s < 4).GroupBy(s => s).ToDictionary(g => g.Key, g => g.Count());
        refused.Values.Sum().Should().BeLessThanOrEqualTo(8 + 4 + 2 + 1, "each second no more requests than the client's limit, which halves");
        refused.Should().OnlyContain(second => second.Value <= 8);
        foreach (var send in sends)
        {
            (await send).Should().ContainSingle().Which.Outcome.Should().Be(SendOutcome.Delivered, "the service came back within every batch's retries");
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task SendAsync_OneAnswerIn10Is429_TheOthersAccepted_DeliversAtAboutTheHealthyRate(bool saysWhen)
    {
        var time = new FakeTimeProvider();
        using var http = new HttpClient(new RefusesOneIn10(saysWhen));
        var sender = NewSender(time, http, GrowlyticsProtocol.Rest, slots: 32, maxRetryAttempts: 6);

        // 2,000 requests that the service answers at once: 9 in 10 accepted, so the client is not refused as a whole and
        // its (halving, growing) limit bounds it, not a slot per refusal held for a second (32 slots: 320 requests a second).
        var start = time.GetUtcNow();
        var sends = Enumerable.Range(0, 2_000).Select(_ => sender.SendAsync(Message, holdsSlot: false, CancellationToken.None)).ToList();

        (await AdvanceUntilAsync(time, Task.WhenAll(sends), TimeSpan.FromSeconds(30), Step)).Should().BeTrue();
        (time.GetUtcNow() - start).Should().BeLessThan(TimeSpan.FromSeconds(5), "each refused request waits a second for its retry (a retry refused again, another); the others go on at once");
        foreach (var send in sends)
        {
            (await send).Should().ContainSingle().Which.Outcome.Should().Be(SendOutcome.Delivered);
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task SendAsync_RateLimitedLongerThanTheRetriesLast_AnswersThatSayWaitAreNotCountedAsRetries(bool saysWhen)
    {
        // Two batches against 10 s of 429s: each goes about once a second, far more than MaxRetryAttempts times. The
        // service is up and says to wait; RetryBudget (2 minutes) bounds that wait, not the count of attempts.
        var time = new FakeTimeProvider();
        var service = new RateLimitedFor(time, TimeSpan.FromSeconds(10), saysWhen);
        using var http = new HttpClient(service);
        var sender = NewSender(time, http, GrowlyticsProtocol.Batch, slots: 8, maxRetryAttempts: 3);

        var sends = Enumerable.Range(0, 2).Select(_ => sender.SendAsync(Message, holdsSlot: false, CancellationToken.None)).ToList();
        (await AdvanceUntilAsync(time, Task.WhenAll(sends), TimeSpan.FromMinutes(3), Step)).Should().BeTrue();

        service.Seconds.Count(s => s < 10).Should().BeGreaterThan(2 * 4, "each batch was refused more times than its retries");
        foreach (var send in sends)
        {
            (await send).Should().ContainSingle().Which.Outcome.Should().Be(SendOutcome.Delivered, "refusals that say to wait are bounded by RetryBudget, not MaxRetryAttempts");
        }
    }

    // Answers 429 (with Retry-After: 1 when saysWhen; a 429 without it is taken as the same) until refusingFor has passed,
    // then 200; records the second of each request.
    private sealed class RateLimitedFor(FakeTimeProvider time, TimeSpan refusingFor, bool saysWhen) : HttpMessageHandler
    {
        private readonly DateTimeOffset _start = time.GetUtcNow();

        public ConcurrentQueue<int> Seconds { get; } = new();

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var elapsed = time.GetUtcNow() - _start;
            Seconds.Enqueue((int)elapsed.TotalSeconds);
            if (elapsed >= refusingFor)
            {
                return Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK));
            }

            return Task.FromResult(TooManyRequests(saysWhen));
        }
    }

    private static RequestSender NewSender(FakeTimeProvider time, HttpClient http, GrowlyticsProtocol protocol, int slots, int maxRetryAttempts)
    {
        var options = new GrowlyticsOptions
        {
            ApiKey = "key",
            Endpoint = new Uri("https://collector.test/"),
            Protocol = protocol,
            TimeProvider = time,
            MaxRetryAttempts = maxRetryAttempts,
            RetryBudget = TimeSpan.FromMinutes(2),
        };
        var limiter = new ConcurrencyLimiter(slots, time, () => { });
        return new RequestSender(options, WireProtocols.Create(options), () => http, limiter, new DeliveryCounters(), NullLogger.Instance);
    }

    // A 429, with Retry-After: 1 when saysWhen (one without it is taken as the same).
    private static HttpResponseMessage TooManyRequests(bool saysWhen)
    {
        var response = new HttpResponseMessage(HttpStatusCode.TooManyRequests);
        if (saysWhen)
        {
            response.Headers.RetryAfter = new RetryConditionHeaderValue(TimeSpan.FromSeconds(1));
        }

        return response;
    }

    // Answers every tenth request 429 (with Retry-After: 1 when saysWhen), the others 200.
    private sealed class RefusesOneIn10(bool saysWhen) : HttpMessageHandler
    {
        private int _requests;

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (Interlocked.Increment(ref _requests) % 10 != 0)
            {
                return Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK));
            }

            return Task.FromResult(TooManyRequests(saysWhen));
        }
    }
}
