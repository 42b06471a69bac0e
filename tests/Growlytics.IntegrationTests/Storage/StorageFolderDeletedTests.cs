using GrowlyticsSdk.IntegrationTests.Rest;
using static GrowlyticsSdk.IntegrationTests.TestSupport;

namespace GrowlyticsSdk.IntegrationTests.Storage;

/// <summary>
/// The storage folder deleted in the middle of a burst, against a healthy collector: every message is delivered or counted
/// dropped as <see cref="DropReason.Corrupted"/> (stored in a file that is gone before it was read), flushes complete, and
/// the shutdown does not say that messages are kept in a folder that is gone.
/// </summary>
[Collection(EngineCollection.Name)]
public sealed class StorageFolderDeletedTests
{
    private const int LeftInStorageEvent = 4009;

    [Theory]
    [InlineData(GrowlyticsProtocol.Batch)]
    [InlineData(GrowlyticsProtocol.Rest)]
    public async Task FlushAsync_FolderDeletedMidBurst_CompletesAndEveryMessageIsDeliveredOrDroppedAsCorrupted(GrowlyticsProtocol protocol)
    {
        if (OperatingSystem.IsWindows())
        {
            // Windows does not delete a folder whose files are open without delete sharing (the client's queue.lock).
            return;
        }

        const int total = 4_000;
        using var folder = new TempFolder();
        var logs = new RecordingLoggerFactory();
        await using var batchCollector = protocol == GrowlyticsProtocol.Batch ? await FaultyCollector.StartAsync() : null;
        await using var restCollector = protocol == GrowlyticsProtocol.Rest ? await RestCollector.StartAsync() : null;
        var options = FastOptions(batchCollector?.Endpoint ?? restCollector!.Endpoint);
        if (restCollector is not null)
        {
            options.Protocol = GrowlyticsProtocol.Rest;
            options.ApiKey = RestCollector.ApiKey;
        }

        options.StorageDirectory = folder.Sub("storage");
        options.LoggerFactory = logs;
        var client = new GrowlyticsClient(options);
        try
        {
            // Half written to the folder (and on their way to the collector) before it goes; the other half after.
            Update(client, 0, total / 2);
            await StoredAsync(client);
            DeleteWhileInUse(options.StorageDirectory);
            Update(client, total / 2, total / 2);

            await FlushAsync(client);

            var statistics = client.Statistics;
            statistics.Pending.Should().Be(0);
            statistics.Enqueued.Should().Be(total);
            statistics.Enqueued.Should().Be(statistics.Delivered + statistics.Dropped);
            statistics.DroppedByReason[DropReason.Corrupted].Should().Be(statistics.Dropped, "only what could not be read back is lost");

            await client.ShutdownAsync();
            client.Statistics.Pending.Should().Be(0);
            logs.Count(LeftInStorageEvent).Should().Be(0, "nothing is kept in a folder that is gone");
        }
        finally
        {
            await client.DisposeAsync();
        }
    }

    private static void Update(GrowlyticsClient client, int from, int count)
    {
        for (var n = from; n < from + count; n++)
        {
            client.Customers.Update("customer-" + n, Number(n));
        }
    }

    // The storage writer may create a file while the folder is being deleted: tried again until it is gone.
    private static void DeleteWhileInUse(string directory)
    {
        for (var attempt = 0; Directory.Exists(directory); attempt++)
        {
            try
            {
                Directory.Delete(directory, recursive: true);
            }
            catch (IOException) when (attempt < 100)
            {
            }
        }
    }
}
