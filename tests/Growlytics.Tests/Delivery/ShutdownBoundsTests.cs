using System.Diagnostics;
using System.Net;
using GrowlyticsSdk.Tests.TestSupport;

namespace GrowlyticsSdk.Tests.Delivery;

/// <summary>
/// The shutdown's bounds: a <see cref="GrowlyticsClient.MessageDropped"/> handler that does not return (one that waits for
/// the thread shutting the client down, as <c>Control.Invoke</c> does) does not hold the shutdown past its deadline, and
/// every caller's token ends the one shutdown's delivery attempt. The clock is fake; the bounds asserted are real time.
/// </summary>
public sealed class ShutdownBoundsTests
{
    [Fact]
    public async Task Shutdown_WhileAHandlerOfALoopsDropDoesNotReturn_EndsAfterTheDeadlineWithEveryDropCounted()
    {
        using var release = new ManualResetEventSlim();
        await using var h = new DeliveryHarness(o => o.ShutdownTimeout = TimeSpan.FromSeconds(1));
        h.Responder = _ => Task.FromResult(new HttpResponseMessage(HttpStatusCode.BadRequest));
        var inHandler = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        var reported = 0;
        h.Client.MessageDropped += (_, e) =>
        {
            if (e.Reason == DropReason.Rejected && inHandler.TrySetResult(true))
            {
                // Waits for the thread that is about to shut the client down.
                release.Wait(TimeSpan.FromMinutes(1));
            }

            Interlocked.Add(ref reported, e.Count);
        };

        h.Push(1);
        h.Client.Dispatcher.RequestDrain();
        await inHandler.Task.WaitAsync(DeliveryHarness.RealTimeout);

        // Accepted while the handler is held: delivered (refused) all the same, their reports waiting behind it.
        h.PushMany(2, from: 2);
        var shutdown = h.Client.ShutdownAsync();
        await h.AdvanceUntilAsync(() => shutdown.IsCompleted);
        release.IsSet.Should().BeFalse();
        h.Log.Entries.Should().Contain(e => e.EventId == 2016, "the shutdown says why it did not wait for the handler");
        var statistics = h.AssertBalanced();
        (statistics.Enqueued, statistics.Delivered, statistics.Pending).Should().Be((3, 0, 0), "the handler holds reports, not the count");
        statistics.DroppedByReason[DropReason.Rejected].Should().Be(3);

        // The reports left behind it come (summed) once it returns.
        release.Set();
        await DeliveryHarness.WaitUntilAsync(() => Volatile.Read(ref reported) == 3);
    }

    [Fact]
    public async Task ShutdownAsync_CalledAgainWithItsOwnToken_ThatTokenEndsTheDeliveryAttempt()
    {
        await using var h = new DeliveryHarness(o => o.ShutdownTimeout = TimeSpan.FromMinutes(5));
        var never = new TaskCompletionSource<HttpResponseMessage>();
        h.Responder = _ => never.Task;
        h.PushMany(3);
        h.Client.Dispatcher.RequestDrain();
        await h.AdvanceUntilAsync(() => h.Requests.Count > 0, TimeSpan.FromMilliseconds(1));

        var first = h.Client.ShutdownAsync();
        using var second = new CancellationTokenSource();
        var secondCall = h.Client.ShutdownAsync(second.Token);
        secondCall.Should().BeSameAs(first, "there is one shutdown");
        await Task.Delay(50);
        first.IsCompleted.Should().BeFalse("the service never answers, and the deadline is far");

        second.Cancel();
        await first.WaitAsync(DeliveryHarness.RealTimeout);
        var statistics = h.AssertBalanced();
        (statistics.Delivered, statistics.Pending).Should().Be((0, 0));
        statistics.DroppedByReason[DropReason.Shutdown].Should().Be(3);
    }

    // The shutdown's own count (what memory holds once the loop has ended, dropped as Shutdown) reports to the handlers
    // too: one that waits for the thread shutting the client down holds it no longer than the loop's would.
    [Fact]
    public async Task Shutdown_WhileAHandlerOfTheShutdownsOwnDropsDoesNotReturn_EndsAfterTheDeadlineAndCountsWhenTheHandlerReturns()
    {
        using var release = new ManualResetEventSlim();
        await using var h = await InFlightWithAShutdownHandlerWaitingForAsync(release);
        var shutdown = Task.Run(() => h.Client.ShutdownAsync());
        await h.AdvanceUntilAsync(() => shutdown.IsCompleted, TimeSpan.FromMilliseconds(100));
        release.IsSet.Should().BeFalse();
        h.Log.Entries.Should().Contain(e => e.EventId == 2016, "the shutdown says why it did not wait for the handler");

        release.Set();
        await DeliveryHarness.WaitUntilAsync(() => h.Client.Statistics.Pending == 0);
        var statistics = h.AssertBalanced();
        (statistics.Enqueued, statistics.Delivered).Should().Be((3, 0));
        statistics.DroppedByReason[DropReason.Shutdown].Should().Be(3);
    }

    // The case a desktop app meets: Dispose() on the UI thread, a handler that marshals to that thread (Control.Invoke).
    [Fact]
    public async Task Dispose_WhileAHandlerOfTheShutdownsOwnDropsWaitsForTheDisposingThread_Returns()
    {
        using var disposeReturned = new ManualResetEventSlim();
        await using var h = await InFlightWithAShutdownHandlerWaitingForAsync(disposeReturned);
        var uiThread = new Thread(() =>
        {
            h.Client.Dispose();
            disposeReturned.Set();
        });
        uiThread.Start();
        try
        {
            await h.AdvanceUntilAsync(() => disposeReturned.IsSet, TimeSpan.FromMilliseconds(100));
        }
        finally
        {
            disposeReturned.Set();
            uiThread.Join();
        }

        await DeliveryHarness.WaitUntilAsync(() => h.Client.Statistics.Pending == 0);
        h.AssertBalanced().DroppedByReason[DropReason.Shutdown].Should().Be(3);
    }

    // A handler per message left, each quick: every drop is reported (one by one for the grace, then summed), and the run
    // is not taken for one handler that does not return.
    [Fact]
    public async Task Shutdown_ManyQuickHandlersOfTheShutdownsOwnDrops_ReportsEveryDropWithoutTakingThemForAHeldHandler()
    {
        await using var h = new DeliveryHarness(o => o.ShutdownTimeout = TimeSpan.FromSeconds(1));
        var never = new TaskCompletionSource<HttpResponseMessage>();
        h.Responder = _ => never.Task;
        var reported = 0;
        h.Client.MessageDropped += (_, e) =>
        {
            if (e.Reason == DropReason.Shutdown)
            {
                // About 0.3 ms each (a log line to a slow sink): 3,000 of them take several graces in all.
                var spin = Stopwatch.StartNew();
                while (spin.Elapsed < TimeSpan.FromMilliseconds(0.3))
                {
                }

                Interlocked.Add(ref reported, e.Count);
            }
        };

        h.PushMany(3000);
        h.Client.Dispatcher.RequestDrain();
        await h.AdvanceUntilAsync(() => h.Requests.Count > 0, TimeSpan.FromMilliseconds(1));

        // The fake clock follows real time, as a real clock would, but 5 ms at most per step: a test thread held up by a
        // busy host does not move it past a grace at once while the handlers' thread waits for a core.
        var real = Stopwatch.StartNew();
        var shutdown = h.Client.ShutdownAsync();
        var last = real.Elapsed;
        while (!shutdown.IsCompleted && real.Elapsed < DeliveryHarness.RealTimeout)
        {
            await Task.Delay(1);
            var now = real.Elapsed;
            h.Time.Advance(TimeSpan.FromTicks(Math.Min((now - last).Ticks, TimeSpan.FromMilliseconds(5).Ticks)));
            last = now;
        }

        shutdown.IsCompleted.Should().BeTrue();
        (Volatile.Read(ref reported), h.Log.Entries.Any(e => e.EventId == 2016)).Should().Be((3000, false), "every handler returned");
        h.AssertBalanced().DroppedByReason[DropReason.Shutdown].Should().Be(3000);
    }

    // A backlog the service never takes and a handler that takes 10 ms per message (a log line to a slow sink): run once per
    // message left, the handlers alone would hold the shutdown 30 s past its 1 s deadline. They run for the grace after
    // it; the rest of the drops come in one event per reason, with their count, before the shutdown returns.
    [Fact]
    public async Task Shutdown_ABacklogWithASlowHandlerOfTheShutdownsOwnDrops_EndsWithinTheGraceAndReportsTheRestSummed()
    {
        await using var h = new DeliveryHarness(o => o.ShutdownTimeout = TimeSpan.FromSeconds(1));
        var never = new TaskCompletionSource<HttpResponseMessage>();
        h.Responder = _ => never.Task;
        var events = 0;
        var reported = 0;
        h.Client.MessageDropped += (_, e) =>
        {
            if (e.Reason == DropReason.Shutdown)
            {
                Interlocked.Increment(ref events);
                Interlocked.Add(ref reported, e.Count);
                h.Time.Advance(TimeSpan.FromMilliseconds(10));
                Thread.Sleep(1); // Slow in real time too: the shutdown's own continuations get a thread meanwhile.
            }
        };

        h.PushMany(3000);
        h.Client.Dispatcher.RequestDrain();
        await h.AdvanceUntilAsync(() => h.Requests.Count > 0, TimeSpan.FromMilliseconds(1));

        var started = h.Time.GetUtcNow();
        var shutdown = h.Client.ShutdownAsync();
        await h.AdvanceUntilAsync(() => shutdown.IsCompleted, TimeSpan.FromMilliseconds(1));

        // The handlers get 250 ms past the 1 s deadline (one per message: 31 s); the margin is for this test's clock, which
        // the handlers and this loop move while the shutdown's continuations wait for a thread on a loaded machine.
        (h.Time.GetUtcNow() - started).Should().BeLessThan(TimeSpan.FromSeconds(10), "the handlers get 250 ms past the 1 s deadline");
        Volatile.Read(ref reported).Should().Be(3000, "every drop is reported before the shutdown returns");
        Volatile.Read(ref events).Should().BeLessThan(3000, "what is left after the grace comes summed");
        h.Log.Entries.Should().NotContain(e => e.EventId == 2016, "every handler returned");
        h.AssertBalanced().DroppedByReason[DropReason.Shutdown].Should().Be(3000);
    }

    // Three messages in a request the service never answers, with a 1 s ShutdownTimeout; a MessageDropped handler that,
    // for the shutdown's own drops, waits until released (a minute at most).
    private static async Task<DeliveryHarness> InFlightWithAShutdownHandlerWaitingForAsync(ManualResetEventSlim release)
    {
        var h = new DeliveryHarness(o => o.ShutdownTimeout = TimeSpan.FromSeconds(1));
        var never = new TaskCompletionSource<HttpResponseMessage>();
        h.Responder = _ => never.Task;
        h.Client.MessageDropped += (_, e) =>
        {
            if (e.Reason == DropReason.Shutdown)
            {
                release.Wait(TimeSpan.FromMinutes(1));
            }
        };

        h.PushMany(3);
        h.Client.Dispatcher.RequestDrain();
        await h.AdvanceUntilAsync(() => h.Requests.Count > 0, TimeSpan.FromMilliseconds(1));
        return h;
    }
}
