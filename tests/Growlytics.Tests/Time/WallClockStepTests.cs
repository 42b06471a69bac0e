using System.Collections.Concurrent;
using System.Net;
using GrowlyticsSdk.Delivery;
using GrowlyticsSdk.Diagnostics;
using GrowlyticsSdk.Protocols;
using GrowlyticsSdk.Tests.TestSupport.Caller;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using static GrowlyticsSdk.Tests.TestSupport.FakeClockDriver;

namespace GrowlyticsSdk.Tests.Time;

/// <summary>
/// Durations are measured on the monotonic clock: a system clock set back or forward while the SDK waits (an open circuit,
/// a visitor's held attributes) neither stretches the wait by the size of the step nor cuts it short. The wall clock is
/// only what the messages carry.
/// </summary>
public sealed class WallClockStepTests
{
    private static readonly ReadOnlyMemory<byte>[] Message = ["{}"u8.ToArray()];

    [Theory]
    [InlineData(-60)]
    [InlineData(-5)]
    public async Task SendAsync_WallClockSetBackWhileTheCircuitIsOpen_DeliversOnceTheBreakHasPassed(int stepMinutes)
    {
        var fake = new FakeTimeProvider(new DateTimeOffset(2026, 6, 1, 12, 0, 0, TimeSpan.Zero));
        var clock = new SteppedClock(fake);
        var options = new GrowlyticsOptions
        {
            ApiKey = "key",
            Endpoint = new Uri("https://collector.test/"),
            Protocol = GrowlyticsProtocol.Batch,
            TimeProvider = clock,
            CircuitBreakDuration = TimeSpan.FromSeconds(15),
            MaxRetryDelay = TimeSpan.FromSeconds(10),
        };
        var attempts = 0;
        var healthy = false;
        using var http = new HttpClient(new Answer(() => Interlocked.Increment(ref attempts), () => Volatile.Read(ref healthy)));
        var limiter = new ConcurrencyLimiter(8, clock, () => { });
        var sender = new RequestSender(options, WireProtocols.Create(options), () => http, limiter, new DeliveryCounters(), NullLogger.Instance);
        using var stopFailing = new CancellationTokenSource();

        // An outage opens the circuit: eight batches fail at once.
        var failing = new List<Task<List<SendResult>>>();
        for (var i = 0; i < 8; i++)
        {
            limiter.TryAcquireForNew().Should().BeTrue();
            failing.Add(sender.SendAsync(Message, holdsSlot: true, stopFailing.Token));
        }

        await WaitUntilAsync(() => Volatile.Read(ref attempts) == 8 && limiter.Active == 0);
        await stopFailing.CancelAsync();
        await Task.WhenAll(failing);

        // The system clock is set back; the service is back.
        clock.Step = TimeSpan.FromMinutes(stepMinutes);
        Volatile.Write(ref healthy, true);
        limiter.TryAcquireForNew().Should().BeTrue();
        var waiting = sender.SendAsync(Message, holdsSlot: true, CancellationToken.None);

        // The circuit closes CircuitBreakDuration after it opened, whatever the wall clock says; the waiting batch's
        // next attempt comes at most MaxRetryDelay after that.
        var passed = await AdvanceUntilAsync(fake, waiting, options.CircuitBreakDuration + options.MaxRetryDelay + TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
        passed.Should().BeTrue($"the circuit opened for {options.CircuitBreakDuration}, not for that plus the clock's step");
        (await waiting).Should().ContainSingle().Which.Outcome.Should().Be(SendOutcome.Delivered);
    }

    [Fact]
    public void HeldPush_WallClockSetBackAndTheRetentionPasses_IsDroppedAsAnonymousExpired()
    {
        using var harness = NewRestHarness(out var fake, out var clock);
        PushInScope(harness, "visitor-1");

        clock.Step = TimeSpan.FromHours(-2);
        fake.Advance(TimeSpan.FromMinutes(31));
        using (harness.Client.BeginScope("visitor-1", "u-1"))
        {
        }

        var statistics = harness.Client.Statistics;
        statistics.DroppedByReason[DropReason.AnonymousExpired].Should().Be(1, "the visitor was inactive for 31 minutes of a 30-minute retention");
        harness.Drain().Should().BeEmpty("what expired is not sent with the login");
    }

    [Fact]
    public void HeldPush_AnotherVisitorActiveBeforeAWallClockStepBack_DoesNotKeepALaterVisitorPastTheRetention()
    {
        using var harness = NewRestHarness(out var fake, out var clock);
        PushInScope(harness, "visitor-1");
        clock.Step = TimeSpan.FromHours(-2);
        fake.Advance(TimeSpan.FromSeconds(1));
        PushInScope(harness, "visitor-2");

        fake.Advance(TimeSpan.FromMinutes(31));
        using (harness.Client.BeginScope("visitor-2", "u-2"))
        {
        }

        harness.Client.Statistics.DroppedByReason[DropReason.AnonymousExpired].Should().Be(2, "both visitors were inactive for over 30 minutes");
        harness.Drain().Should().BeEmpty();
    }

    [Fact]
    public void HeldPush_WallClockSetForward_IsStillCarriedToALoginWithinTheRetention()
    {
        using var harness = NewRestHarness(out var fake, out var clock);
        PushInScope(harness, "visitor-1");

        clock.Step = TimeSpan.FromHours(2);
        fake.Advance(TimeSpan.FromSeconds(1));
        using (harness.Client.BeginScope("visitor-1", "u-1"))
        {
        }

        harness.Client.Statistics.Dropped.Should().Be(0, "one second passed");
        harness.Drain().Should().ContainSingle().Which.Calls.Should().Be(1, "the login's upsert carries the visitor's push");
    }

    private static CallerHarness NewRestHarness(out FakeTimeProvider fake, out SteppedClock clock)
    {
        var time = fake = new FakeTimeProvider(CallerHarness.Now);
        var stepped = clock = new SteppedClock(time);
        return new CallerHarness(o =>
        {
            o.Protocol = GrowlyticsProtocol.Rest;
            o.TimeProvider = stepped;
        });
    }

    private static void PushInScope(CallerHarness harness, string anonymousId)
    {
        using (harness.Client.BeginScope(anonymousId))
        {
            harness.Client.User.Push(new Dictionary<string, object?> { ["city"] = "Pune" });
        }
    }

    private sealed class Answer(Action onSend, Func<bool> healthy) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            onSend();
            return Task.FromResult(new HttpResponseMessage(healthy() ? HttpStatusCode.OK : HttpStatusCode.ServiceUnavailable));
        }
    }
}
