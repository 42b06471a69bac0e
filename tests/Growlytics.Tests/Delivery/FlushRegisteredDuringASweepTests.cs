using System.Reflection;
using GrowlyticsSdk.Delivery;
using GrowlyticsSdk.Tests.TestSupport;

namespace GrowlyticsSdk.Tests.Delivery;

/// <summary>
/// When the loop finds everything settled (a privacy sweep, an idle turn), it completes only the flushes registered before
/// it looked: a flush registered meanwhile may count a call the loop did not see, and waits for it.
/// </summary>
public sealed class FlushRegisteredDuringASweepTests
{
    [Fact]
    public async Task Flush_RegisteredAfterASweepReadMemoryForTheLastTime_WaitsForTheCallItCounts()
    {
        using var inSweep = new ManualResetEventSlim();
        using var locked = new ManualResetEventSlim();
        using var unlock = new ManualResetEventSlim();
        await using var h = new DeliveryHarness();
        var dispatcher = h.Client.Dispatcher;

        // The lock the sweep takes after its last read of memory: held by another thread, it stops the loop there, as a
        // loop preempted at that point would be.
        var dropRequests = typeof(Dispatcher).GetField("_dropRequests", BindingFlags.NonPublic | BindingFlags.Instance)!.GetValue(dispatcher)!;
        var first = 1;
        h.Client.MessageDropped += (_, e) =>
        {
            if (e.Reason == DropReason.OptedOut && Interlocked.Exchange(ref first, 0) == 1)
            {
                inSweep.Set();
                locked.Wait(DeliveryHarness.RealTimeout);
            }
        };
        var holder = new Thread(() =>
        {
            inSweep.Wait(DeliveryHarness.RealTimeout);
            lock (dropRequests)
            {
                locked.Set();
                unlock.Wait(DeliveryHarness.RealTimeout);
            }
        });
        holder.Start();

        h.PushMany(2);
        var deletion = h.Client.DeleteLocalDataAsync();
        locked.Wait(DeliveryHarness.RealTimeout).Should().BeTrue();
        await DeliveryHarness.WaitUntilAsync(() => h.Client.Statistics.DroppedByReason[DropReason.OptedOut] == 2);

        // A call is accepted, then a flush is taken: its target counts that call.
        h.Push(3, "anon-late");
        var flush = h.Client.FlushAsync();
        unlock.Set();
        holder.Join();
        await h.RunAsync(deletion, TimeSpan.Zero);
        await h.RunAsync(flush);

        var statistics = h.AssertBalanced();
        (statistics.Enqueued, statistics.Delivered, statistics.Pending).Should().Be((3, 1, 0), "the flush completed once the call it counts was delivered");
        h.Accepted.SelectMany(r => r.Numbers).Should().Equal(3);
    }
}
