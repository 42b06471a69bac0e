namespace GrowlyticsSdk.Tests.Storage;

/// <summary>
/// A flush during an outage with stored messages kept (out of retries) returns whatever the disk does meanwhile: a disk
/// that starts failing does not make the flush wait for the service.
/// </summary>
public sealed class FlushWithKeptWhileTheDiskFailsTests : StorageTestBase
{
    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(50);

    [Fact]
    public async Task Flush_StoredMessagesKeptThenTheDiskFails_CompletesWithoutTheService()
    {
        var failing = 0;
        var collector = new StorageCollector();
        await using var client = NewClient(collector, o =>
        {
            o.Protocol = GrowlyticsProtocol.Rest;
            o.StorageWriteFault = () => Volatile.Read(ref failing) == 1 ? new IOException("No space left on device") : null;
        });
        for (var n = 0; n < 40; n++)
        {
            client.Customers.Update("customer-" + (n % 4), new Dictionary<string, object?> { ["n"] = n });
        }

        await StoredAsync(client);
        Volatile.Write(ref failing, 1);
        var flush = client.FlushAsync();
        await DriveUntilAsync(() => flush.IsCompleted, Step);

        client.Statistics.Delivered.Should().Be(0);
        client.Statistics.Dropped.Should().Be(0);
        client.Statistics.Pending.Should().Be(40, "everything waits on disk for the service");
        collector.Numbers.Should().BeEmpty();
    }
}
