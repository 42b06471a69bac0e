using System.Net;
using GrowlyticsSdk.Tests.TestSupport;
using Microsoft.Extensions.Time.Testing;

namespace GrowlyticsSdk.Tests.Time;

/// <summary>
/// A machine that sleeps for hours and wakes. On Linux and macOS the monotonic clock stands still meanwhile and the wall
/// clock jumps (a <see cref="SteppedClock"/> step); on Windows both move on (the fake time advanced at once, the timers due
/// meanwhile firing on waking).
/// </summary>
public sealed class SleepResumeTests
{
    [Fact]
    public async Task Flush_SleptDuringAnOutage_MonotonicClockStoodStill_DeliversEverythingSoonAfterWaking()
    {
        SteppedClock? clock = null;
        await using var h = new DeliveryHarness(o =>
        {
            o.TimeProvider = clock = new SteppedClock((FakeTimeProvider)o.TimeProvider);
            o.RequestTimeout = TimeSpan.FromSeconds(10);
            o.RetryBudget = TimeSpan.FromMinutes(2);
        });
        var healthy = false;
        h.Responder = _ => Task.FromResult(new HttpResponseMessage(Volatile.Read(ref healthy) ? HttpStatusCode.OK : HttpStatusCode.ServiceUnavailable));
        for (var i = 0; i < 2_000; i++)
        {
            h.Push(i, anonymousId: "user-" + (i % 500));
        }

        // 20 s of outage (retries waiting, the circuit open), then 8 hours asleep; the network is back on waking.
        await h.AdvanceUntilAsync(() => h.Time.GetUtcNow() - DeliveryHarness.Start > TimeSpan.FromSeconds(20), TimeSpan.FromMilliseconds(50));
        h.Requests.Should().NotBeEmpty();
        Volatile.Write(ref healthy, true);
        clock!.Step = TimeSpan.FromHours(8);
        var woke = h.Time.GetUtcNow();

        await h.FlushAsync();

        (h.Time.GetUtcNow() - woke).Should().BeLessThan(h.Options.CircuitBreakDuration + h.Options.MaxRetryDelay,
            "no wait is stretched by the wall clock's jump");
        var stats = h.AssertBalanced();
        stats.Delivered.Should().Be(2_000, "the sleep does not count against RetryBudget where the monotonic clock stood still");
        stats.Dropped.Should().Be(0);
    }

    [Fact]
    public async Task Flush_SleptLongerThanRetryBudgetWithARequestOnTheWire_WithStorage_KeepsAndDeliversItsMessages()
    {
        var folder = Path.Combine(Path.GetTempPath(), "growlytics-tests", Guid.NewGuid().ToString("N"));
        try
        {
            await using var h = new DeliveryHarness(o =>
            {
                o.RequestTimeout = TimeSpan.FromSeconds(10);
                o.RetryBudget = TimeSpan.FromMinutes(2);
                o.StorageDirectory = folder;
            });

            // The request on the wire when the machine went to sleep never answers (its connection died with the sleep).
            var lost = new TaskCompletionSource<HttpResponseMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
            h.Responder = r => r.Index == 1 ? lost.Task : Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK));
            h.PushMany(5);
            await h.AdvanceUntilAsync(() => h.Requests.Count == 1, TimeSpan.FromMilliseconds(10));

            // Windows: 8 hours pass on both clocks at once; the request's timeout and the batch's RetryBudget fire on waking.
            h.Time.Advance(TimeSpan.FromHours(8));
            await h.FlushAsync();
            await h.AdvanceUntilAsync(() => h.Client.Statistics.Pending == 0, TimeSpan.FromSeconds(1));
            lost.TrySetResult(new HttpResponseMessage(HttpStatusCode.OK));

            var stats = h.AssertBalanced();
            stats.Delivered.Should().Be(5, "out of budget, stored messages are kept on disk and sent again, not dropped");
            stats.Dropped.Should().Be(0);
            (h.Requests[^1].At - h.Requests[0].At).Should().BeLessThan(TimeSpan.FromHours(8) + h.Options.MaxRetryDelay + TimeSpan.FromSeconds(10),
                "they go about MaxRetryDelay after waking");
        }
        finally
        {
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
    }
}
