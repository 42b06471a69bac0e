namespace GrowlyticsSdk.Tests.Storage;

/// <summary>
/// While the disk fails, a flush waits for what memory holds. The delivery loop reads stored records before memory, so
/// records still unread on disk (the stage was full) come first: the flush must count them too, or it ends early, with
/// a message accepted before it still unsent.
/// </summary>
public sealed class FlushWithUnreadStoredRecordsTests : StorageTestBase
{
    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(50);

    [Fact]
    public async Task Flush_WhileTheDiskFails_WithRecordsStillUnreadOnDisk_WaitsForTheMessageInMemory()
    {
        var collector = new GatedCollector();
        var failing = 0;
        var logs = new RecordingLoggerFactory();
        var client = NewClient(new StorageCollector(), o =>
        {
            o.HttpClient = new HttpClient(collector);
            o.MaxConcurrentRequests = 2; // The loop stages at most 4,096 messages.
            o.FlushInterval = TimeSpan.FromHours(1);
            o.LoggerFactory = logs;
            o.StorageWriteFault = () => Volatile.Read(ref failing) == 1 ? new IOException("No space left on device") : null;
        });

        // 5,000 stored for one user; its first request is held by the collector, the loop stages what it may (4,096)
        // and the rest stays unread on disk.
        PushNumbers(client, 0, 5000);
        var stored = StoredAsync(client);
        await DriveUntilAsync(() => stored.IsCompleted && Volatile.Read(ref collector.InFlight) > 0, Step, () => State(client, collector, "stored"));
        await Task.Delay(200);

        // The disk fails now: another user's message is handed back to memory. Its request never gets an answer.
        Volatile.Write(ref failing, 1);
        using (client.BeginScope())
        {
            client.User.Push(new Dictionary<string, object?> { ["n"] = GatedCollector.Special });
        }

        var failedWrite = StoredAsync(client);
        await DriveUntilAsync(() => failedWrite.IsCompleted, Step, () => State(client, collector, "failed write"));
        logs.Entries.Should().Contain(e => e.EventId == 4006, "the write failed");

        // A flush from memory: it must wait for that message, while everything stored is delivered.
        var flush = client.FlushAsync();
        collector.Open.TrySetResult(true);
        await DriveUntilAsync(() => flush.IsCompleted || client.Statistics.Delivered == 5000, Step, () => State(client, collector, "flush " + flush.Status));
        await Task.Delay(200);

        var completedEarly = flush.IsCompleted;
        var (delivered, pending) = (client.Statistics.Delivered, client.Statistics.Pending);
        var shutdown = client.ShutdownAsync();
        await DriveUntilAsync(() => shutdown.IsCompleted, TimeSpan.FromSeconds(1), () => State(client, collector, "shutdown"));

        delivered.Should().Be(5000);
        pending.Should().Be(1, "the special message is still on its way");
        completedEarly.Should().BeFalse("the message accepted before the flush is not delivered");
        collector.Numbers.Should().NotContain(GatedCollector.Special);
    }

    // What a timeout's message says: the wait, the statistics, the requests on the wire and the segment files.
    private string State(GrowlyticsClient client, GatedCollector collector, string wait)
    {
        var statistics = client.Statistics;
        return $"Waiting for: {wait}; delivered {statistics.Delivered}, dropped {statistics.Dropped}, pending {statistics.Pending}; "
            + $"{Volatile.Read(ref collector.InFlight)} in flight; {SegmentFiles().Length} segment file(s).";
    }
}
