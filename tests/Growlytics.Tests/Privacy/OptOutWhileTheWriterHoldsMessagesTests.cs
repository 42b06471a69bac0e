using GrowlyticsSdk.Tests.Storage;

namespace GrowlyticsSdk.Tests.Privacy;

/// <summary>
/// An opt-out (taken back at once) while the storage writer holds a message it took from memory and has not written yet:
/// the loop sweeps again once the write is done (sending nothing meanwhile) and drops the message; it is never sent.
/// </summary>
public sealed class OptOutWhileTheWriterHoldsMessagesTests : StorageTestBase
{
    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(200);

    [Fact]
    public async Task OptOutThenOptIn_WhileTheWriterHoldsAMessage_TheSweepWaitsForItAndDropsIt()
    {
        using var writerHolds = new ManualResetEventSlim();
        using var releaseWriter = new ManualResetEventSlim();
        var hold = 1;
        var collector = new StorageCollector { Up = true };
        await using var client = NewClient(collector, o => o.BeforeStorageAppend = () =>
        {
            // The writer has taken the message from memory and is about to write it.
            if (Interlocked.Exchange(ref hold, 0) == 1)
            {
                writerHolds.Set();
                releaseWriter.Wait(TimeSpan.FromSeconds(30));
            }
        });

        PushNumbers(client, 0, 1);
        var driving = Task.Run(() => DriveUntilAsync(() => writerHolds.IsSet, Step));
        writerHolds.Wait(TimeSpan.FromSeconds(30)).Should().BeTrue();

        // Opted out and straight back in: the sweep for the opt-out runs once, while the writer still holds the message.
        client.OptOut();
        client.OptIn();
        // Released a moment later, from a thread of its own: the sweep meanwhile waits for the writer.
        var releaser = new Thread(() =>
        {
            Thread.Sleep(100);
            releaseWriter.Set();
        });
        releaser.Start();
        await driving;
        releaser.Join();

        // The clock stands still now: the sweep's wait for the writer is bounded (200 ms on the client's clock), and moving
        // the clock while a busy machine still writes would end that wait before the write, which is not what is tested.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (client.Statistics.Pending != 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10);
        }

        collector.Messages.Should().BeEmpty("the message was recorded before the opt-out");
        client.Statistics.DroppedByReason[DropReason.OptedOut].Should().Be(1);
        ShouldBeBalanced(client.Statistics);
    }
}
