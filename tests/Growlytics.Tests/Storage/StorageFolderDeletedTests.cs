namespace GrowlyticsSdk.Tests.Storage;

/// <summary>
/// The storage folder deleted while the client runs: what can still be read is delivered, what cannot is counted dropped
/// as <see cref="DropReason.Corrupted"/>, flushes complete, and new messages go through memory.
/// </summary>
public sealed class StorageFolderDeletedTests : StorageTestBase
{
    private const int StorageDamagedEvent = 4004;
    private const int LeftInStorageEvent = 4009;

    [Fact]
    public async Task FlushAsync_FolderDeletedWithStoredRecordsUnread_CompletesAndSettlesEveryMessage()
    {
        if (OperatingSystem.IsWindows())
        {
            // Windows does not delete a folder whose files are open without delete sharing (the client's queue.lock).
            return;
        }

        var collector = new StorageCollector { Up = true };
        var logs = new RecordingLoggerFactory();
        using var read = new HeldFirstRead();
        var client = NewClient(collector, o =>
        {
            // 4 KB segments: 150 updates fill several.
            o.MaxStorageBytes = 64 * 1024;
            o.LoggerFactory = logs;
            o.ShutdownTimeout = TimeSpan.FromMinutes(10);
            read.Apply(o, Time);
        });
        try
        {
            // The first read holds 10 records while the other 140 are written behind it, the last ones in the segment being
            // written; then the folder goes, with every file in it.
            PushNumbers(client, 0, 10);
            await DriveUntilAsync(() => read.IsHeld, TimeSpan.FromMilliseconds(200));
            PushNumbers(client, 10, 140);
            await client.FlushToStorageAsync();
            SegmentFiles().Length.Should().BeGreaterThanOrEqualTo(3);
            System.IO.Directory.Delete(Directory, recursive: true);
            read.Release();

            var flush = client.FlushAsync();
            await DriveUntilAsync(() => flush.IsCompleted, TimeSpan.FromMilliseconds(200), () => $"Pending {client.Statistics.Pending}.");
            await flush;

            var statistics = client.Statistics;
            statistics.Pending.Should().Be(0);
            ShouldBeBalanced(statistics);
            statistics.Delivered.Should().Be(collector.Numbers.Count).And.BeGreaterThan(10, "the segment being read is read to its end through its open file");
            statistics.DroppedByReason[DropReason.Corrupted].Should().BeGreaterThan(0).And.Be(statistics.Dropped, "only what could not be read back is lost");

            // The writer cannot start a segment in the missing folder (if it gets to them before delivery does): new messages
            // are delivered from memory.
            PushNumbers(client, 150, 20);
            flush = client.FlushAsync();
            await DriveUntilAsync(() => flush.IsCompleted, TimeSpan.FromMilliseconds(200), () => $"Pending {client.Statistics.Pending}.");
            await client.ShutdownAsync();

            statistics = client.Statistics;
            Enumerable.Range(150, 20).Select(n => (long)n).Should().BeSubsetOf(collector.Numbers);
            (statistics.Enqueued, statistics.Pending).Should().Be((170L, 0L));
            ShouldBeBalanced(statistics);
            logs.Entries.Should().Contain(e => e.EventId == StorageDamagedEvent, "the lost records are logged");
            logs.Entries.Should().NotContain(e => e.EventId == LeftInStorageEvent, "nothing is kept in a folder that is gone");
        }
        finally
        {
            read.Release();
            await client.DisposeAsync();
        }
    }

    [Fact]
    public async Task Shutdown_FolderDeletedWhileStoredRecordsAreInFlight_CountsThemLostNotKept()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        // The service takes the request and never answers: the 10 records are in flight at the deadline, their file gone.
        var collector = new StorageCollector { Up = true, Hang = true };
        var logs = new RecordingLoggerFactory();
        var client = NewClient(collector, o =>
        {
            o.LoggerFactory = logs;
            o.ShutdownTimeout = TimeSpan.FromSeconds(2);
        });
        try
        {
            PushNumbers(client, 0, 10);
            await client.FlushToStorageAsync();
            client.Dispatcher.RequestDrain();
            await DriveUntilAsync(() => Volatile.Read(ref collector.Attempts) > 0, TimeSpan.FromMilliseconds(50));
            System.IO.Directory.Delete(Directory, recursive: true);

            var shutdown = client.ShutdownAsync();
            await DriveUntilAsync(() => shutdown.IsCompleted, TimeSpan.FromMilliseconds(100));
            await shutdown;

            var statistics = client.Statistics;
            ShouldBeBalanced(statistics);
            (statistics.Pending, statistics.DroppedByReason[DropReason.Corrupted]).Should().Be((0L, 10L), "nothing is left for a next start");
            logs.Entries.Should().NotContain(e => e.EventId == LeftInStorageEvent, "nothing is kept in a folder that is gone");
        }
        finally
        {
            await client.DisposeAsync();
        }
    }
}
