using System.Diagnostics;
using System.Net;
using GrowlyticsSdk.Tests.TestSupport;

namespace GrowlyticsSdk.Tests.Delivery;

/// <summary>
/// What a <see cref="GrowlyticsClient.MessageDropped"/> handler may do with its client: dispose it (the shutdown may be
/// the one waiting for the handler), throw. The clock is fake: a wait bounded only by it would never end.
/// </summary>
public sealed class DropHandlerReentryTests
{
    private static readonly TimeSpan RealBound = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Dispose_FromAHandlerOfADropRaisedByTheDeliveryLoop_ReturnsAndTheShutdownEnds()
    {
        await using var h = new DeliveryHarness();
        h.Responder = _ => Task.FromResult(new HttpResponseMessage(HttpStatusCode.Unauthorized));
        var returned = new TaskCompletionSource<TimeSpan>(TaskCreationOptions.RunContinuationsAsynchronously);
        h.Client.MessageDropped += (_, e) =>
        {
            if (e.StatusCode == 401 && !returned.Task.IsCompleted)
            {
                var clock = Stopwatch.StartNew();
                h.Client.Dispose();
                returned.TrySetResult(clock.Elapsed);
            }
        };
        h.PushMany(3);
        var flush = h.Client.FlushAsync();

        (await returned.Task.WaitAsync(RealBound)).Should().BeLessThan(RealBound, "Dispose from the loop's handler does not wait for the loop");
        var shutdown = h.Client.ShutdownAsync();
        await DeliveryHarness.WaitUntilAsync(() =>
        {
            h.Time.Advance(TimeSpan.FromMilliseconds(100));
            return shutdown.IsCompleted;
        });
        await flush.WaitAsync(RealBound);
        h.AssertBalanced().DroppedByReason[DropReason.Unauthorized].Should().Be(3);
    }

    [Fact]
    public async Task Dispose_FromAHandlerOfSummedDrops_ReturnsWithoutWaitingForItself()
    {
        await using var h = new DeliveryHarness(o => o.MaxQueueSize = 4, startDelivery: false);
        using var pushed = new ManualResetEventSlim();
        var returned = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        h.Client.MessageDropped += (_, e) =>
        {
            if (e.Reason == DropReason.QueueFull)
            {
                // Only once every push is in: a push after the shutdown began would be refused as Shutdown instead.
                pushed.Wait(RealBound);
                h.Client.Dispose();
                returned.TrySetResult(true);
            }
        };

        h.PushMany(10);
        pushed.Set();

        // Under the fake clock the shutdown's wait for this very report would only end with the clock.
        (await returned.Task.WaitAsync(RealBound)).Should().BeTrue();
        await h.Client.ShutdownAsync().WaitAsync(RealBound);
        h.Client.Statistics.DroppedByReason[DropReason.QueueFull].Should().Be(6);
    }

    [Fact]
    public async Task Dispose_OfAnotherClientFromAHandler_StillBlocksUntilThatClientIsShutDown()
    {
        await using var a = new DeliveryHarness(o => o.MaxQueueSize = 4, startDelivery: false);
        await using var b = new DeliveryHarness();
        var shutDownWhenDisposeReturned = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        a.Client.MessageDropped += (_, e) =>
        {
            if (e.Reason == DropReason.QueueFull && !shutDownWhenDisposeReturned.Task.IsCompleted)
            {
                b.Client.Dispose();
                shutDownWhenDisposeReturned.TrySetResult(b.Client.ShutdownAsync().IsCompleted);
            }
        };

        a.PushMany(10);

        (await shutDownWhenDisposeReturned.Task.WaitAsync(RealBound)).Should().BeTrue("only the client raising the event is disposed without waiting");
    }

    [Fact]
    public async Task ShutdownStartedFromAHandler_StillReturnsOnlyOnceThatHandlersReportIsDone()
    {
        await using var h = new DeliveryHarness(o => o.MaxQueueSize = 4, startDelivery: false);
        using var release = new ManualResetEventSlim();
        var disposed = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        long reported = 0;
        h.Client.MessageDropped += (_, e) =>
        {
            if (e.Reason == DropReason.QueueFull)
            {
                h.Client.Dispose();
                disposed.TrySetResult(true);
                release.Wait(TimeSpan.FromSeconds(30));
            }

            Interlocked.Add(ref reported, e.Count);
        };
        h.PushMany(10);
        await disposed.Task.WaitAsync(RealBound);

        var shutdown = h.Client.ShutdownAsync();
        await Task.Delay(100);
        shutdown.IsCompleted.Should().BeFalse("the shutdown the handler started waits for the report the handler is in");
        release.Set();
        await shutdown.WaitAsync(RealBound);
        Interlocked.Read(ref reported).Should().Be(h.Client.Statistics.Dropped);
    }

    [Fact]
    public async Task AHandlerThatThrows_IsLoggedOncePerIntervalWithACount()
    {
        await using var h = new DeliveryHarness(o => o.MaxQueueSize = 1, startDelivery: false);
        var calls = 0;
        long reported = 0;
        h.Client.MessageDropped += (_, e) =>
        {
            Interlocked.Increment(ref calls);
            Interlocked.Add(ref reported, e.Count);
            throw new InvalidOperationException("handler fault");
        };

        // Several reports within one interval (each push's drops are summed into one or two events).
        for (var i = 0; i < 5; i++)
        {
            h.PushMany(2, from: 2 * i);
            await DeliveryHarness.WaitUntilAsync(() => Interlocked.Read(ref reported) == h.Client.Statistics.DroppedByReason[DropReason.QueueFull]);
        }

        // A handler's fault is counted just after it returns: the last one is counted before the clock moves on.
        await h.Client.DropsReportedAsync().WaitAsync(RealBound);
        h.Log.WithId(1010).Should().ContainSingle("faults within the interval are summed into the next report");
        var beforeLast = Volatile.Read(ref calls);
        beforeLast.Should().BeGreaterThan(1);

        // A tick short of a minute after the first report: still within its interval, counted for the next report.
        h.Time.Advance(TimeSpan.FromMinutes(1) - TimeSpan.FromTicks(1));
        h.PushMany(1, from: 99);
        await DeliveryHarness.WaitUntilAsync(() => Volatile.Read(ref calls) == beforeLast + 1);
        await h.Client.DropsReportedAsync().WaitAsync(RealBound);
        h.Log.WithId(1010).Should().ContainSingle("the interval is a minute");

        // The next interval, a minute after the first report: one drop, one event, one report carrying every fault since.
        h.Time.Advance(TimeSpan.FromTicks(1));
        h.PushMany(1, from: 100);
        await DeliveryHarness.WaitUntilAsync(() => h.Log.WithId(1010).Count() == 2);
        var report = h.Log.WithId(1010).Last();
        report.Fields["Count"].Should().Be((long)beforeLast + 1, "the faults after the first report, the one within its interval, and this one");
        report.Text.Should().Contain("InvalidOperationException");
    }

    [Fact]
    public async Task AHandlerThatThrows_DoesNotKeepTheOtherHandlersFromTheDrop()
    {
        await using var h = new DeliveryHarness(o => o.MaxQueueSize = 1, startDelivery: false);
        long before = 0;
        long after = 0;
        h.Client.MessageDropped += (_, e) => Interlocked.Add(ref before, e.Count);
        h.Client.MessageDropped += (_, _) => throw new InvalidOperationException("handler fault");
        h.Client.MessageDropped += (_, e) => Interlocked.Add(ref after, e.Count);

        h.PushMany(11);
        await DeliveryHarness.WaitUntilAsync(() => Interlocked.Read(ref after) == 10);
        await h.Client.DropsReportedAsync().WaitAsync(RealBound);

        h.Client.Statistics.DroppedByReason[DropReason.QueueFull].Should().Be(10);
        (Interlocked.Read(ref before), Interlocked.Read(ref after)).Should().Be((10L, 10L), "each handler hears of every drop");
        h.Log.WithId(1010).Should().ContainSingle().Which.Text.Should().Contain("InvalidOperationException");
    }
}
