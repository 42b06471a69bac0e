using GrowlyticsSdk.Storage;

namespace GrowlyticsSdk.Tests.Storage;

/// <summary>A disk filled by the queue's own segments: once they are delivered they are deleted, and the disk is used again.</summary>
public sealed class DiskFilledByQueueTests : StorageTestBase
{
    [Fact]
    public async Task DiskFilledByOwnSegments_AllDelivered_SpaceFreedAndDiskUsedAgain()
    {
        const long capacity = 48 * 1024; // a small "disk" (MaxStorageBytes stays 50 MB: the disk fills first)
        var collector = new StorageCollector();
        var logs = new RecordingLoggerFactory();
        await using var client = NewClient(collector, o =>
        {
            o.StorageWriteFault = () => FolderBytes() >= capacity ? new IOException("No space left on device") : null;
            o.LoggerFactory = logs;
        });

        var pushed = 0;
        while (FolderBytes() < capacity)
        {
            PushNumbers(client, pushed, 100);
            pushed += 100;
            await client.FlushAsync();
        }

        PushNumbers(client, pushed, 100);
        pushed += 100;
        await DriveUntilAsync(() => logs.Entries.Any(e => e.EventId == 4006), TimeSpan.FromMilliseconds(200));
        collector.Up = true;
        await DriveUntilAsync(() => client.Statistics.Pending == 0, TimeSpan.FromMilliseconds(200));
        client.Statistics.Delivered.Should().Be(pushed);

        // Everything is delivered: every stored record is acknowledged, so the disk should have room again.
        var leftAfterDelivery = FolderBytes();

        // Past the disk retry interval the writer tries the disk again; new messages reach it (event 4013: storage works again).
        collector.Up = false;
        Time.Advance(TimeSpan.FromSeconds(6));
        await Task.Delay(100);
        PushNumbers(client, 5000, 50);
        await DriveUntilAsync(() => logs.Entries.Any(e => e.EventId == 4013), TimeSpan.FromSeconds(1));
        var failedWrites = logs.Entries.Count(e => e.EventId == 4006);
        logs.Entries.Single(e => e.EventId == 4013).Message.Should().MatchRegex(@"after [1-9][0-9]* failed write\(s\)", "it counts the failures since the disk last worked, reported or not (at least the {0} reported)", failedWrites);
        leftAfterDelivery.Should().BeLessThan(capacity / 2, "acknowledged segments are deleted to free the full disk");
    }
}
