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
/// A service that answers every request "Retry-After: 0" (a rate limiter that rounds a wait under a second down, a proxy
/// that always adds it) is sent no more requests a second than one that answers a bare 429: such attempts are not
/// counted against MaxRetryAttempts and do not open the circuit, so a slot given back at once let every waiting batch
/// retry every millisecond for its whole RetryBudget.
/// </summary>
public sealed class RetryAfterZeroTests
{
    private static readonly ReadOnlyMemory<byte>[] Message = ["{}"u8.ToArray()];
    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(100);

    [Theory]
    [InlineData(HttpStatusCode.TooManyRequests, GrowlyticsProtocol.Batch)]
    [InlineData(HttpStatusCode.ServiceUnavailable, GrowlyticsProtocol.Batch)]
    [InlineData(HttpStatusCode.TooManyRequests, GrowlyticsProtocol.Rest)]
    public async Task SendAsync_EveryAnswerRetryAfterZero_RequestsPerSecondStayWithinTheHalvingLimit(HttpStatusCode status, GrowlyticsProtocol protocol)
    {
        var time = new FakeTimeProvider();
        var service = new SaysNowFor(time, TimeSpan.FromSeconds(4), status);
        using var http = new HttpClient(service);
        var options = new GrowlyticsOptions
        {
            ApiKey = "key",
            Endpoint = new Uri("https://collector.test/"),
            Protocol = protocol,
            TimeProvider = time,
            MaxRetryAttempts = 6,
            RetryBudget = TimeSpan.FromMinutes(2),
        };
        var limiter = new ConcurrencyLimiter(8, time, () => { });
        var sender = new RequestSender(options, WireProtocols.Create(options), () => http, limiter, new DeliveryCounters(), NullLogger.Instance);

        var sends = Enumerable.Range(0, 32).Select(_ => sender.SendAsync(Message, holdsSlot: false, CancellationToken.None)).ToList();
        (await AdvanceUntilAsync(time, Task.WhenAll(sends), TimeSpan.FromMinutes(2), Step)).Should().BeTrue();

        // As with "Retry-After: 1" or a bare 429: the limit halves at most once a second, 8, 4, 2, 1 requests in the four
        // seconds the service refuses (before: every waiting batch again at every step of the clock, some 1,200).
        service.Refused.Should().BeLessThanOrEqualTo(8 + 4 + 2 + 1, "\"come back now\" repeated is no licence to retry every millisecond");
        foreach (var send in sends)
        {
            (await send).Should().ContainSingle().Which.Outcome.Should().Be(SendOutcome.Delivered, "the service came back within every batch's budget");
        }
    }

    // Answers the given status with "Retry-After: 0" until refusingFor has passed, then 200.
    private sealed class SaysNowFor(FakeTimeProvider time, TimeSpan refusingFor, HttpStatusCode status) : HttpMessageHandler
    {
        private readonly DateTimeOffset _start = time.GetUtcNow();
        private int _refused;

        public int Refused => Volatile.Read(ref _refused);

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (time.GetUtcNow() - _start >= refusingFor)
            {
                return Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK));
            }

            Interlocked.Increment(ref _refused);
            var response = new HttpResponseMessage(status);
            response.Headers.RetryAfter = new RetryConditionHeaderValue(TimeSpan.Zero);
            return Task.FromResult(response);
        }
    }
}
