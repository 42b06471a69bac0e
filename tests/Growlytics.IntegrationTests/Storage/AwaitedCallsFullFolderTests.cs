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
        await using var outage = await Outage.StartAsync();
        var client = outage.Client;
        await EventuallyAsync(() => client.Queue.Count >= outage.Options.MaxQueueSize - 1, "memory fills behind the held update");
        await outage.StopCallsAsync();

        // The process is about to end: what memory holds, the held update first, goes to the folder rather than with it.
        await Task.Run(() => client.FlushForExitSignal("SIGTERM"));
        client.Queue.Count.Should().Be(0, "nothing is left only in memory");
        outage.ShouldBeBalancedWithinTheBound();
    }

    [Fact]
    public async Task UpdateAsync_ExitSignalThatDoesNotEndTheProcess_CallsWaitForRoomAgainAfterIt()
    {
        await using var outage = await Outage.StartAsync();
        var client = outage.Client;
        await outage.CallsWaitAsync();
        await outage.StopCallsAsync();

        // Another handler keeps the process running: once the signal's write is done, imports wait for room again instead
        // of pushing out what the folder holds.
        await Task.Run(() => client.FlushForExitSignal("SIGINT"));
        var pushedOut = client.Statistics.DroppedByReason[DropReason.StorageFull];
        outage.StartCalls();
        await outage.CallsWaitAsync();
        client.Statistics.DroppedByReason[DropReason.StorageFull].Should().Be(pushedOut, "nothing more was pushed out of the folder for the waiting calls");
        await outage.StopCallsAsync();
        outage.ShouldBeBalancedWithinTheBound();
    }

    [Fact]
    public async Task UpdateAsync_OutageFillsMemoryAndFolder_CallWaits_AndShutdownStoresWhatItHeldWithinTheBound()
    {
        await using var outage = await Outage.StartAsync();
        var client = outage.Client;

        // The folder and memory fill, then the calls wait.
        await outage.CallsWaitAsync();
        client.Statistics.DroppedByReason.Where(r => r.Value > 0).Should().BeEmpty("nothing was pushed out of the folder for the waiting calls");
        client.Durable!.InFolder.Should().BeGreaterThan(1_000, "the folder holds what it had room for");
        await outage.StopCallsAsync();

        // Shutdown writes what the writer held and what memory holds, within the bound (the oldest stored go to make room).
        await client.ShutdownAsync().WaitAsync(Deadline);
        client.Statistics.Enqueued.Should().Be(outage.Accepted);
        outage.ShouldBeBalancedWithinTheBound();
    }

    /// <summary>
    /// A collector that answers 503 to everything, a 1 MB folder and memory for 1,000 messages (what runs out of retries is
    /// kept on disk for later), and a task calling <c>UpdateAsync</c> for 20 customers until <see cref="StopCallsAsync"/>.
    /// </summary>
    private sealed class Outage : IAsyncDisposable
    {
        private readonly TempFolder _folder = new();
        private CancellationTokenSource _stop = new();
        private FaultyCollector _collector = null!;
        private Task _calls = Task.CompletedTask;
        private int _accepted;

        public GrowlyticsOptions Options { get; private set; } = null!;

        public GrowlyticsClient Client { get; private set; } = null!;

        public int Accepted => Volatile.Read(ref _accepted);

        public static async Task<Outage> StartAsync()
        {
            var outage = new Outage { _collector = await FaultyCollector.StartAsync() };
            outage._collector.Script = _ => Fault.Http(503);
            var options = FastOptions(outage._collector.Endpoint);
            options.StorageDirectory = outage._folder.Sub("storage");
            options.MaxStorageBytes = 1024 * 1024;
            options.MaxQueueSize = 1_000;
            options.MaxRetryAttempts = 0;
            options.MaxRetryDelay = TimeSpan.FromMinutes(10);
            options.ShutdownTimeout = TimeSpan.FromSeconds(2);
            outage.Options = options;
            outage.Client = new GrowlyticsClient(options);
            await EventuallyAsync(() => outage.Client.Durable!.IsBuffer, "the client owns its folder");
            outage.StartCalls();
            return outage;
        }

        /// <summary>Starts a task calling <c>UpdateAsync</c> until <see cref="StopCallsAsync"/> (again after a stop).</summary>
        public void StartCalls()
        {
            if (_stop.IsCancellationRequested)
            {
                _stop.Dispose();
                _stop = new CancellationTokenSource();
            }

            var stop = _stop.Token;
            _calls = Task.Run(async () =>
            {
                for (var n = Accepted; ; n++)
                {
                    await Client.Customers.UpdateAsync("customer-" + (n % 20), new Dictionary<string, object?> { ["n"] = n, ["note"] = new string('x', 100) }, stop);
                    Interlocked.Increment(ref _accepted);
                }
            });
        }

        /// <summary>Waits until the calls wait for room: no update is accepted for a second.</summary>
        public async Task CallsWaitAsync()
        {
            var last = -1;
            await EventuallyAsync(
                () =>
                {
                    var now = Accepted;
                    var still = now == last;
                    last = now;
                    Thread.Sleep(still ? 0 : 1_000);
                    return still;
                },
                "the calls wait for room");
        }

        /// <summary>Cancels the waiting call; the calling task ends with that cancellation.</summary>
        public async Task StopCallsAsync()
        {
            _stop.Cancel();
            var calls = () => _calls;
            await calls.Should().ThrowAsync<OperationCanceledException>();
        }

        public void ShouldBeBalancedWithinTheBound()
        {
            var statistics = Client.Statistics;
            statistics.Enqueued.Should().Be(statistics.Delivered + statistics.Dropped + statistics.Pending);
            statistics.DroppedByReason.Where(r => r.Value > 0).Select(r => r.Key).Should().BeSubsetOf([DropReason.StorageFull]);
            Directory.EnumerateFiles(_folder.Sub("storage")).Sum(LengthOrZero).Should().BeLessThanOrEqualTo(Options.MaxStorageBytes);
        }

        // The writer may delete a spent segment while the folder is listed: a file gone by then counts as nothing.
        private static long LengthOrZero(string path)
        {
            try
            {
                return new FileInfo(path).Length;
            }
            catch (IOException)
            {
                return 0;
            }
        }

        public async ValueTask DisposeAsync()
        {
            await Client.DisposeAsync();
            await _collector.DisposeAsync();
            _stop.Dispose();
            _folder.Dispose();
        }
    }
}
