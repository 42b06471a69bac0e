namespace GrowlyticsSdk.Tests.Storage;

/// <summary>
/// An opt-out while the storage writer is in a slow write of a message it took from memory, then an opt-in at once: the
/// sweep waits for that write however long it takes, so the message recorded before the opt-out is dropped, never read
/// from disk and sent after the opt-in.
/// </summary>
public sealed class OptInWhileTheWriterIsStuckTests : StorageTestBase
{
    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(200);

    [Fact]
    public async Task OptOutThenOptIn_WhileTheWriterIsStuckPastItsWait_TheMessageFromBeforeIsNeverSent()
    {
        using var writerHolds = new ManualResetEventSlim();
        using var releaseWriter = new ManualResetEventSlim();
        var hold = 1;
        var collector = new StorageCollector { Up = true };
        await using var client = NewClient(collector, o => o.BeforeStorageAppend = () =>
        {
            if (Interlocked.Exchange(ref hold, 0) == 1)
            {
                writerHolds.Set();
                releaseWriter.Wait(TimeSpan.FromSeconds(30));
            }
        });

        PushNumbers(client, 0, 1);
        await DriveUntilAsync(() => writerHolds.IsSet, Step);

        client.OptOut();
        client.OptIn();

        // The disk is slow: the sweep's bounded wait for the writer passes (a second on the client's clock).
        for (var i = 0; i < 10; i++)
        {
            Time.Advance(Step);
            await Task.Delay(20);
        }

        releaseWriter.Set();

        await DriveUntilAsync(() => client.Statistics.Pending == 0, Step);
        await Task.Delay(300);
        collector.Messages.Should().BeEmpty("the message was recorded before the opt-out");
        client.Statistics.DroppedByReason[DropReason.OptedOut].Should().Be(1);
        ShouldBeBalanced(client.Statistics);
    }
}
