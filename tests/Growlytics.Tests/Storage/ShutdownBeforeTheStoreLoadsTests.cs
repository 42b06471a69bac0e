using System.Reflection;
using GrowlyticsSdk.Delivery;

namespace GrowlyticsSdk.Tests.Storage;

/// <summary>
/// A shutdown that begins while the delivery loop is in a turn that read the stored queue before it was loaded (the
/// writer loads it in the background, or takes the folder over only at shutdown): the loop reads the store again before
/// it ends, and delivers what a previous run left, rather than leaving it all for the next start.
/// </summary>
public sealed class ShutdownBeforeTheStoreLoadsTests : StorageTestBase
{
    [Fact]
    public async Task Shutdown_BeginsWhileTheLoopReadsTheStoreNotLoadedYet_DeliversTheStoredMessages()
    {
        // The first client stores twenty messages (its collector is down) and holds the folder meanwhile.
        var first = await HoldingStoredNumbersAsync(20);

        // The loop's first read of the store is held: the folder is the first client's, so nothing is loaded yet.
        using var read = new HoldOnce();
        var collector = new StorageCollector { Up = true };
        var client = NewClient(collector, o => o.AfterStoreRead = _ => read.Hold());
        try
        {
            read.WaitUntilHeld(TimeSpan.FromSeconds(30)).Should().BeTrue();
            await first.ShutdownAsync();

            // The writer takes the folder over and loads it; then delivery is told to stop, while the loop is still in
            // the turn that found nothing to read.
            var shutdown = client.ShutdownAsync();
            var stopping = typeof(Dispatcher).GetField("_stopping", BindingFlags.NonPublic | BindingFlags.Instance)!;
            await DriveUntilAsync(() => (bool)stopping.GetValue(client.Dispatcher)!, TimeSpan.Zero);
            read.Release();
            await shutdown;

            // The figures say which step fell short if this fails: nothing restored (the folder was not taken over), or
            // restored and not sent (attempts), or sent and not recorded.
            var stats = client.Statistics;
            collector.Numbers.Should().BeEquivalentTo(
                Enumerable.Range(0, 20),
                "the shutdown had time to deliver what was stored (restored {0}, delivered {1}, pending {2}, dropped {3}, attempts {4})",
                stats.Restored,
                stats.Delivered,
                stats.Pending,
                stats.Dropped,
                Volatile.Read(ref collector.Attempts));
            client.Statistics.Restored.Should().Be(20);
            client.Statistics.Delivered.Should().Be(20);
            ShouldBeBalanced(client.Statistics);
        }
        finally
        {
            read.Release();
            await first.DisposeAsync();
            await client.DisposeAsync();
        }
    }
}
