using GrowlyticsSdk.Storage;

namespace GrowlyticsSdk.Tests.Storage;

/// <summary>
/// <see cref="GrowlyticsClient.FlushAsync"/> with storage: writes to disk, then waits for delivery as without storage;
/// a stored message out of retries (kept on disk for a later try) counts as settled, so an outage does not hold it.
/// </summary>
public sealed class FlushWithStorageTests : StorageTestBase
{
    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(50);

    [Fact]
    public async Task Flush_ServiceHealthy_CompletesOnlyOnceEverythingIsDelivered()
    {
        var collector = new GatedCollector();
        await using var client = NewClient(new StorageCollector(), o => o.HttpClient = new HttpClient(collector));
        PushNumbers(client, 0, 250);

        // On disk and on the wire, but not answered yet: the flush waits.
        var flush = client.FlushAsync();
        await DriveUntilAsync(() => Volatile.Read(ref collector.InFlight) > 0 && SegmentFiles().Length > 0, Step);
        await Task.Delay(200);
        flush.IsCompleted.Should().BeFalse("nothing is delivered yet");

        collector.Open.TrySetResult(true);
        await DriveUntilAsync(() => flush.IsCompleted, Step);
        client.Statistics.Delivered.Should().Be(250, "the flush ended with everything delivered");
        collector.Numbers.Should().BeEquivalentTo(Enumerable.Range(0, 250).Select(n => (long)n));
        ShouldBeBalanced(client.Statistics);
    }

    [Fact]
    public async Task Flush_ServiceDown_CompletesOnceEachUsersFirstRequestIsKeptOnDisk()
    {
        var collector = new StorageCollector();
        await using var client = NewClient(collector);
        for (var n = 0; n < 250; n++)
        {
            client.Customers.Update("customer-" + (n % 7), new Dictionary<string, object?> { ["n"] = n });
        }

        var flush = client.FlushAsync();
        await DriveUntilAsync(() => flush.IsCompleted, Step);

        collector.Attempts.Should().BeGreaterThan(0);
        var statistics = client.Statistics;
        statistics.Delivered.Should().Be(0);
        statistics.Dropped.Should().Be(0, "a stored message out of retries is kept, not dropped");
        statistics.Pending.Should().Be(250);
        SegmentLoader.Load(Directory, long.MaxValue).Segments.Sum(s => s.Pending).Should().Be(250, "everything is on disk");

        // The service comes back: the kept messages go after MaxRetryDelay.
        collector.Up = true;
        await DriveUntilAsync(() => client.Statistics.Delivered == 250, TimeSpan.FromSeconds(1));
        collector.Numbers.Should().BeEquivalentTo(Enumerable.Range(0, 250).Select(n => (long)n));
        ShouldBeBalanced(client.Statistics);
    }

    [Fact]
    public async Task Flush_RestServiceDown_CompletesWithEveryCustomersMessagesKeptOnDisk()
    {
        // With Rest, a request carries one customer's update: each customer's first is kept and the rest wait behind it.
        var collector = new StorageCollector();
        await using var client = NewClient(collector, o => o.Protocol = GrowlyticsProtocol.Rest);
        for (var n = 0; n < 40; n++)
        {
            client.Customers.Update("customer-" + (n % 4), new Dictionary<string, object?> { ["n"] = n });
        }

        var flush = client.FlushAsync();
        await DriveUntilAsync(() => flush.IsCompleted, Step);

        collector.Attempts.Should().BeGreaterThanOrEqualTo(4, "each customer's first update was tried");
        client.Statistics.Delivered.Should().Be(0);
        client.Statistics.Dropped.Should().Be(0);
        client.Statistics.Pending.Should().Be(40, "everything waits on disk for the service");
        SegmentLoader.Load(Directory, long.MaxValue).Segments.Sum(s => s.Pending).Should().Be(40);
    }

    [Fact]
    public async Task Flush_DiskFailingAndServiceDown_WaitsForTheMessagesHeldInMemoryUntilTheyAreDelivered()
    {
        var collector = new StorageCollector();
        await using var client = NewClient(collector, o => o.StorageWriteFault = () => new IOException("No space left on device"));
        PushNumbers(client, 0, 30);

        // Nothing reaches the disk, so nothing survives a crash: the flush waits for delivery, through kept retries.
        var flush = client.FlushAsync();
        await DriveUntilAsync(() => Volatile.Read(ref collector.Attempts) >= 3, TimeSpan.FromSeconds(1));
        flush.IsCompleted.Should().BeFalse("the messages are only in memory and not delivered");
        client.Statistics.Dropped.Should().Be(0);
        client.Statistics.Pending.Should().Be(30);
        SegmentLoader.Load(Directory, long.MaxValue).Segments.Sum(s => s.Pending).Should().Be(0, "every write failed");

        collector.Up = true;
        await DriveUntilAsync(() => flush.IsCompleted, TimeSpan.FromSeconds(1));
        await flush;
        client.Statistics.Delivered.Should().Be(30);
        collector.Numbers.Should().BeEquivalentTo(Enumerable.Range(0, 30).Select(n => (long)n));
        ShouldBeBalanced(client.Statistics);
    }

    [Theory]
    [InlineData(10_000)]
    [InlineData(15_000)]
    public async Task Flush_RestServiceDownWithMoreStoredThanAStage_CompletesWithoutWaitingForARetry(int total)
    {
        // One customer's updates, more than one loop turn reads (a stage, 4,096): every turn after the first reads into a
        // partition paused after its kept first request, and must follow at once, not at the next retry (30 s).
        var collector = new StorageCollector();
        await using var client = NewClient(collector, o => o.Protocol = GrowlyticsProtocol.Rest);
        for (var n = 0; n < total; n++)
        {
            client.Customers.Update("heavy", new Dictionary<string, object?> { ["n"] = n });
        }

        var started = Time.GetUtcNow();
        var flush = client.FlushAsync();
        await DriveUntilAsync(() => flush.IsCompleted, Step);

        // A turn that waited for the kept request's next retry would take 30 s of the fake clock; the bound leaves the
        // machine time to write and read the records while the clock moves on in 50 ms steps.
        (Time.GetUtcNow() - started).Should().BeLessThan(TimeSpan.FromSeconds(20), "no retry wait is needed to read what is stored");
        client.Statistics.Dropped.Should().Be(0);
        client.Statistics.Pending.Should().Be(total, "everything waits on disk for the service");
    }
}
