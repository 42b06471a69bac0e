namespace GrowlyticsSdk.Tests.Storage;

/// <summary>
/// A client waiting to take over its folder is shut down just after a try that found the folder still held, and the
/// folder is released in between: the writer tries once more before it gives up, takes the folder over and loads what the
/// previous client left, so the shutdown delivers it instead of leaving it all for the next start.
/// </summary>
public sealed class ShutdownWhileTakingOverTests : StorageTestBase
{
    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(250);

    [Fact]
    public async Task Shutdown_BeginsRightAfterATryFoundTheFolderHeld_TakesItOverAndDeliversWhatWasStored()
    {
        // The first client stores twenty messages (its collector is down) and holds the folder meanwhile.
        var first = await HoldingStoredNumbersAsync(20);

        // The second client's writer is held right after its first try, which finds the folder taken.
        using var writer = new HoldOnce();
        var collector = new StorageCollector { Up = true };
        var client = NewClient(collector, o => o.AfterTakeOverTry = took =>
        {
            if (!took)
            {
                writer.Hold();
            }
        });
        try
        {
            // The clock is moved on another thread: the writer's try runs in the clock's callback, and stays there while held.
            var driving = Task.Run(() => DriveUntilAsync(() => writer.WaitUntilHeld(TimeSpan.Zero), Step));
            writer.WaitUntilHeld(TimeSpan.FromSeconds(30)).Should().BeTrue();

            // The folder is released, then the shutdown begins, before the writer looks again. No fake timer fires while the
            // writer is held in the clock's callback: the first shutdown must not need one (bounded, so it fails, not hangs).
            await first.ShutdownAsync().WaitAsync(TimeSpan.FromSeconds(30));
            var shutdown = client.ShutdownAsync();
            await DriveUntilAsync(() => client.Durable!.IsStopping, TimeSpan.Zero);
            writer.Release();
            await driving;
            await DriveUntilAsync(() => shutdown.IsCompleted, Step);
            await shutdown;

            client.Statistics.Restored.Should().Be(20, "the writer took the folder over at shutdown");
            collector.Numbers.Should().BeEquivalentTo(Enumerable.Range(0, 20));
            client.Statistics.Delivered.Should().Be(20);
            ShouldBeBalanced(client.Statistics);
        }
        finally
        {
            writer.Release();
            await first.DisposeAsync();
            await client.DisposeAsync();
        }
    }
}
