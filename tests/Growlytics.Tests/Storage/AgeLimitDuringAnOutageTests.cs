namespace GrowlyticsSdk.Tests.Storage;

/// <summary>
/// <see cref="GrowlyticsOptions.MaxStorageAge"/> holds during an outage in which nothing new is written: the stored
/// messages delivery had already read (in requests waiting out their retries) expire like the rest, instead of being sent
/// however old once the service comes back.
/// </summary>
public sealed class AgeLimitDuringAnOutageTests : StorageTestBase
{
    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(500);

    [Fact]
    public async Task AgeLimit_PassedInAnOutageWithNothingNewWritten_ExpiresWhatDeliveryHadRead()
    {
        var collector = new StorageCollector();
        var client = NewClient(collector, o => o.MaxStorageAge = TimeSpan.FromMinutes(1));
        try
        {
            // Past the age limit (on the fake clock), with no call since.
            await OutageOf75SecondsAsync(client, collector);

            var statistics = client.Statistics;
            ShouldBeBalanced(statistics);
            collector.Numbers.Should().BeEmpty("every stored message was older than MaxStorageAge when the service came back");
            statistics.DroppedByReason[DropReason.Expired].Should().Be(20);
            statistics.Delivered.Should().Be(0);
            statistics.Pending.Should().Be(0);
        }
        finally
        {
            await client.DisposeAsync();
        }
    }

    [Fact]
    public async Task AgeLimit_NotPassedInAnOutage_DeliversEverythingOnceTheServiceIsBack()
    {
        var collector = new StorageCollector();
        var client = NewClient(collector, o => o.MaxStorageAge = TimeSpan.FromMinutes(5));
        try
        {
            await OutageOf75SecondsAsync(client, collector);

            client.Statistics.Delivered.Should().Be(20);
            client.Statistics.DroppedByReason[DropReason.Expired].Should().Be(0);
            collector.Numbers.Should().BeEquivalentTo(Enumerable.Range(0, 20).Select(n => (long)n));
        }
        finally
        {
            await client.DisposeAsync();
        }
    }

    /// <summary>
    /// Stores the numbers 0-19 while the service is down, lets delivery read and try them, moves the fake clock 75 s on
    /// with no call, then brings the service back and waits until nothing is pending.
    /// </summary>
    private async Task OutageOf75SecondsAsync(GrowlyticsClient client, StorageCollector collector)
    {
        PushNumbers(client, 0, 20);
        await WrittenAsync(client);
        await DriveUntilAsync(() => collector.Attempts >= 2, Step);

        var start = Time.GetUtcNow();
        await DriveUntilAsync(() => Time.GetUtcNow() - start > TimeSpan.FromSeconds(75), Step);
        collector.Up = true;
        await DriveUntilAsync(() => client.Statistics.Pending == 0, Step);
    }
}
