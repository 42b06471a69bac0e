using static GrowlyticsSdk.IntegrationTests.TestSupport;

namespace GrowlyticsSdk.IntegrationTests.Storage;

/// <summary>
/// <c>Customers.UpdateAsync</c> waits for room instead of dropping. With <c>StorageDirectory</c> the writer took its messages
/// from memory as fast as they came and the folder's bound (<c>MaxStorageBytes</c>) pushed out the oldest stored ones to
/// take them: an import faster than delivery, against a healthy service, lost most of its updates (<c>StorageFull</c>;
/// 807,389 of 1,000,000 at the default 50 MB). Now the writer holds such a message while the folder has no room for it,
/// memory fills, and the calls wait there.
/// </summary>
[Collection(EngineCollection.Name)]
public sealed class AwaitedCallsFullFolderTests
{
    [Fact]
    public async Task UpdateAsync_ManyTimesWhatTheFolderHolds_ServiceSlowButHealthy_NoneDroppedEachDeliveredOnceInOrder()
    {
        const int Updates = 12_000;
        const int Customers = 20;
        using var folder = new TempFolder();
        await using var collector = await FaultyCollector.StartAsync();

        // Delivery at about 100 messages per 10 ms, well behind the calls; the folder holds about 3,000 of these updates.
        collector.Script = _ => Fault.Delayed(TimeSpan.FromMilliseconds(10));
        var options = FastOptions(collector.Endpoint);
        options.StorageDirectory = folder.Sub("storage");
        options.MaxStorageBytes = 1024 * 1024;
        options.MaxQueueSize = 1_000;
        options.MaxConcurrentRequests = 1;
        await using var client = new GrowlyticsClient(options);
        await EventuallyAsync(() => client.Durable!.IsBuffer, "the client owns its folder");

        for (var n = 0; n < Updates; n++)
        {
            await client.Customers.UpdateAsync("customer-" + (n % Customers), new Dictionary<string, object?> { ["n"] = n, ["plan"] = "pro", ["note"] = new string('x', 100) });
        }

        await FlushAsync(client);

        client.Statistics.DroppedByReason.Where(r => r.Value > 0).Should().BeEmpty("a call that waits for room drops nothing, and nothing it waited for pushed older messages out");
        collector.ShouldHaveDeliveredExactly(client, Updates);

        // Each customer's updates arrived in call order (the numbers of one customer differ by a multiple of Customers).
        var arrivals = collector.Arrivals.Select(a => a.Number).ToList();
        foreach (var customer in Enumerable.Range(0, Customers))
        {
            arrivals.Where(n => n % Customers == customer).Should().BeInAscendingOrder();
        }
    }

    [Fact]
    public async Task UpdateAsync_OutageFillsMemoryAndFolder_ExitSignalWritesWhatWasHeldAndWhatMemoryHolds()
    {
        using var folder = new TempFolder();
        await using var collector = await FaultyCollector.StartAsync();
        collector.Script = _ => Fault.Http(503);
        var options = FastOptions(collector.Endpoint);
        options.StorageDirectory = folder.Sub("storage");
        options.MaxStorageBytes = 1024 * 1024;
        options.MaxQueueSize = 1_000;
        options.MaxRetryAttempts = 0;
        options.MaxRetryDelay = TimeSpan.FromMinutes(10);
        options.ShutdownTimeout = TimeSpan.FromSeconds(2);
        await using var client = new GrowlyticsClient(options);
        await EventuallyAsync(() => client.Durable!.IsBuffer, "the client owns its folder");

        using var stop = new CancellationTokenSource();
        var calls = Task.Run(async () =>
        {
            for (var n = 0; ; n++)
            {
                await client.Customers.UpdateAsync("customer-" + (n % 20), new Dictionary<string, object?> { ["n"] = n, ["note"] = new string('x', 100) }, stop.Token);
            }
        });
        await EventuallyAsync(() => client.Queue.Count >= options.MaxQueueSize - 1, "memory fills behind the held update");
        stop.Cancel();
        var cancelled = () => calls;
        await cancelled.Should().ThrowAsync<OperationCanceledException>();

        // The process is about to end: what memory holds, the held update first, goes to the folder rather than with it.
        await Task.Run(() => client.FlushForExitSignal("SIGTERM"));
        client.Queue.Count.Should().Be(0, "nothing is left only in memory");
        var statistics = client.Statistics;
        statistics.Enqueued.Should().Be(statistics.Delivered + statistics.Dropped + statistics.Pending);
        statistics.DroppedByReason.Where(r => r.Value > 0).Select(r => r.Key).Should().BeSubsetOf([DropReason.StorageFull]);
        Directory.EnumerateFiles(folder.Sub("storage")).Sum(f => new FileInfo(f).Length).Should().BeLessThanOrEqualTo(options.MaxStorageBytes);
    }

    [Fact]
    public async Task UpdateAsync_OutageFillsMemoryAndFolder_CallWaits_AndShutdownStoresWhatItHeldWithinTheBound()
    {
        using var folder = new TempFolder();
        await using var collector = await FaultyCollector.StartAsync();
        collector.Script = _ => Fault.Http(503);
        var options = FastOptions(collector.Endpoint);
        options.StorageDirectory = folder.Sub("storage");
        options.MaxStorageBytes = 1024 * 1024;
        options.MaxQueueSize = 1_000;

        // Kept on disk after the first attempt, for later.
        options.MaxRetryAttempts = 0;
        options.MaxRetryDelay = TimeSpan.FromMinutes(10);
        options.ShutdownTimeout = TimeSpan.FromSeconds(2);
        var client = new GrowlyticsClient(options);
        await EventuallyAsync(() => client.Durable!.IsBuffer, "the client owns its folder");

        using var stop = new CancellationTokenSource();
        var accepted = 0;
        var calls = Task.Run(async () =>
        {
            for (var n = 0; ; n++)
            {
                await client.Customers.UpdateAsync("customer-" + (n % 20), new Dictionary<string, object?> { ["n"] = n, ["note"] = new string('x', 100) }, stop.Token);
                Interlocked.Increment(ref accepted);
            }
        });

        // The folder and memory fill, then the calls wait: no update is accepted for a second.
        var last = -1;
        await EventuallyAsync(
            () =>
            {
                var now = Volatile.Read(ref accepted);
                var still = now == last;
                last = now;
                Thread.Sleep(still ? 0 : 1_000);
                return still;
            },
            "the calls wait for room");
        client.Statistics.DroppedByReason.Where(r => r.Value > 0).Should().BeEmpty("nothing was pushed out of the folder for the waiting calls");
        client.Durable!.InFolder.Should().BeGreaterThan(1_000, "the folder holds what it had room for");
        stop.Cancel();
        var cancelled = () => calls;
        await cancelled.Should().ThrowAsync<OperationCanceledException>();

        // Shutdown writes what the writer held and what memory holds, within the bound (the oldest stored go to make room).
        await client.ShutdownAsync().WaitAsync(Deadline);
        var statistics = client.Statistics;
        statistics.Enqueued.Should().Be(accepted);
        statistics.Enqueued.Should().Be(statistics.Delivered + statistics.Dropped + statistics.Pending);
        statistics.DroppedByReason.Where(r => r.Value > 0).Select(r => r.Key).Should().BeSubsetOf([DropReason.StorageFull]);
        Directory.EnumerateFiles(folder.Sub("storage")).Sum(f => new FileInfo(f).Length).Should().BeLessThanOrEqualTo(options.MaxStorageBytes);
        await client.DisposeAsync();
    }
}
