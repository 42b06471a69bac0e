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
/// The app's <see cref="TimeProvider"/> throws for a moment as an answer with <c>Retry-After</c> comes in (the limiter
/// holds that attempt's slot on a timer until then): the answer is still what the service said, so the batch is retried
/// and delivered, and the slot is given back (the fault escaped the attempt's end, the 429 was taken as a fault that is
/// never retried, and the batch was dropped as RetriesExhausted after one attempt).
/// </summary>
public sealed class RetryAfterTimerFaultTests
{
    private static readonly ReadOnlyMemory<byte>[] Message = ["{}"u8.ToArray()];

    [Fact]
    public async Task SendAsync_ClockThrowsAsRetryAfterAnswerComes_BatchIsRetriedAndDelivered()
    {
        var time = new OnceFaultyClock();
        var service = new RefusesOnceThenAccepts(time);
        using var http = new HttpClient(service);
        var options = new GrowlyticsOptions
        {
            ApiKey = "key",
            Endpoint = new Uri("https://collector.test/"),
            TimeProvider = time,
            MaxRetryAttempts = 3,
            RetryBudget = TimeSpan.FromMinutes(1),
        };
        var limiter = new ConcurrencyLimiter(4, time, () => { });
        var sender = new RequestSender(options, WireProtocols.Create(options), () => http, limiter, new DeliveryCounters(), NullLogger.Instance);

        var send = sender.SendAsync(Message, holdsSlot: false, CancellationToken.None);
        (await AdvanceUntilAsync(time, send, TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(100))).Should().BeTrue();

        time.Faults.Should().Be(1, "the clock threw once, as the 429's slot was put on a timer");
        (await send).Should().ContainSingle().Which.Outcome.Should().Be(SendOutcome.Delivered, "a 429 is retried whatever the clock did as it came");
        service.Requests.Should().Be(2);
        limiter.Active.Should().Be(0, "every slot taken was given back");
    }

    [Fact]
    public async Task ReleaseAfter_ClockThrows_TheSlotGoesToTheWaitingRetry()
    {
        var time = new OnceFaultyClock();
        var limiter = new ConcurrencyLimiter(1, time, () => { });
        (await Task.WhenAny(limiter.AcquireAsync(CancellationToken.None), Task.Delay(5000))).Should().NotBeNull();
        limiter.Active.Should().Be(1);
        var waiting = limiter.AcquireAsync(CancellationToken.None);

        time.ThrowNext = true;
        var release = () => limiter.ReleaseAfter(TimeSpan.FromSeconds(1));
        release.Should().NotThrow("the end of an attempt does not throw the app's clock fault");

        // Given back at once (or after the second the service asked for): never kept from the waiting retry for good.
        time.Advance(TimeSpan.FromSeconds(2));
        (await Task.WhenAny(waiting, Task.Delay(5000))).Should().BeSameAs(waiting, "the slot freed goes to the retry waiting for it");
    }

    // A fake clock whose next CreateTimer throws once ThrowNext is set.
    private sealed class OnceFaultyClock : FakeTimeProvider
    {
        private int _faults;

        public volatile bool ThrowNext;

        public int Faults => Volatile.Read(ref _faults);

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            if (ThrowNext)
            {
                ThrowNext = false;
                Interlocked.Increment(ref _faults);
                throw new InvalidOperationException("The test clock is broken for a moment.");
            }

            return base.CreateTimer(callback, state, dueTime, period);
        }
    }

    // Answers the first request 429 "Retry-After: 1" (breaking the clock for the next timer made), then 200.
    private sealed class RefusesOnceThenAccepts(OnceFaultyClock time) : HttpMessageHandler
    {
        private int _requests;

        public int Requests => Volatile.Read(ref _requests);

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (Interlocked.Increment(ref _requests) > 1)
            {
                return Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK));
            }

            var response = new HttpResponseMessage(HttpStatusCode.TooManyRequests);
            response.Headers.RetryAfter = new RetryConditionHeaderValue(TimeSpan.FromSeconds(1));
            time.ThrowNext = true;
            return Task.FromResult(response);
        }
    }
}
