namespace GrowlyticsSdk.Tests.Storage;

/// <summary>With storage, an outage's request bodies (read from disk, waiting out retries) and calls refused for room.</summary>
public sealed class OutageWithStorageRequestBodiesTests : StorageTestBase
{
    [Fact]
    public async Task Outage_WithStorage_CallsAreStoredNotDroppedForRoom()
    {
        var collector = new StorageCollector { Up = false };
        var client = NewClient(collector, o =>
        {
            // Bodies of requests read from disk (retrying in the outage) reach about 320 KB here.
            o.MaxQueueBytes = 384 * 1024;
            o.MaxRetryAttempts = 10;
            o.ShutdownTimeout = TimeSpan.FromSeconds(5);
        });
        try
        {
            var text = new string('x', 200);
            var n = 0;
            for (var round = 0; round < 150; round++)
            {
                for (var i = 0; i < 100; i++, n++)
                {
                    client.Customers.Update("customer-" + (n % 500), new Dictionary<string, object?> { ["n"] = n, ["t"] = text });
                }

                // Each round written before the next: what this test measures is the room the retrying bodies leave, not
                // whether the writer keeps up in real time (on a busy machine it fell behind, and the queue filled).
                Time.Advance(TimeSpan.FromMilliseconds(100));
                await StoredAsync(client);
            }

            client.Statistics.DroppedByReason[DropReason.QueueFull].Should().Be(0, "the disk had room: attempts {0}", collector.Attempts);
        }
        finally
        {
            await ShutDownDrivingAsync(client, TimeSpan.FromMilliseconds(20));
        }
    }
}
