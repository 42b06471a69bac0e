namespace GrowlyticsSdk.IntegrationTests.Storage;

/// <summary>
/// With StorageDirectory, during an outage, the stored records the storage bound drops (StorageFull) after delivery read
/// them were counted, but stayed staged in their paused partitions, while the read window they freed let delivery read
/// more: the stage (and memory: some 800 MB with a 4 MB bound in a soak) grew with everything dropped. Measured through
/// the dispatcher's own count of staged messages, not the collector.
/// </summary>
public sealed class StagedDropsDuringOutageTests
{
    // The stored queue's read window: at most this many stored records are read and not settled.
    private const int ReadWindow = 16_384;

    [Fact]
    public async Task StorageDropsWhileTheServiceIsDown_StagedMessagesStayWithinTheReadWindow()
    {
        await using var collector = await FaultyCollector.StartAsync();
        collector.Script = _ => Fault.Http(503);
        using var folder = new TempFolder();
        var options = TestSupport.FastOptions(collector.Endpoint);
        options.StorageDirectory = folder.Path;
        options.MaxStorageBytes = 1024 * 1024;

        // An outage: the first attempt fails, the messages are kept on disk and their partitions pause (MaxRetryDelay).
        options.MaxRetryAttempts = 0;
        options.MaxRetryDelay = TimeSpan.FromMinutes(10);
        options.ShutdownTimeout = TimeSpan.FromSeconds(1);
        await using var client = new GrowlyticsClient(options);

        // Rounds of updates, each read and staged before the next: the store (about 3,000 records) drops the oldest
        // rounds, whose messages wait staged in partitions paused after their first attempt failed. Fire-and-forget calls:
        // one that waits for room (UpdateAsync) would wait once the folder is full, instead of having the oldest dropped.
        const int Rounds = 60;
        const int PerRound = 2_000;
        var mostStaged = 0;
        for (var round = 0; round < Rounds; round++)
        {
            for (var i = 0; i < PerRound; i++)
            {
                var n = (round * PerRound) + i;
                client.Customers.Update("c-" + (n % 1000), new Dictionary<string, object?> { ["n"] = n, ["plan"] = "pro", ["ok"] = true });
            }

            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(2);
            while (client.Dispatcher.StagedCount < client.Statistics.Pending && DateTime.UtcNow < deadline)
            {
                await Task.Delay(10);
            }

            mostStaged = Math.Max(mostStaged, client.Dispatcher.StagedCount);
        }

        client.Statistics.DroppedByReason[DropReason.StorageFull].Should().BeGreaterThan(Rounds * PerRound / 2, "the store dropped the oldest rounds");
        var statistics = client.Statistics;
        mostStaged.Should().BeLessThanOrEqualTo(ReadWindow, "staged stored messages are bounded by the read window (pending {0}, StorageFull {1})", statistics.Pending, statistics.DroppedByReason[DropReason.StorageFull]);
        statistics.Enqueued.Should().Be(statistics.Delivered + statistics.Dropped + statistics.Pending);
    }
}
