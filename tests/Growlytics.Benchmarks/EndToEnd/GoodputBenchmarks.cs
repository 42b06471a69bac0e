using BenchmarkDotNet.Attributes;
using Growlytics.Benchmarks.Infrastructure;
using GrowlyticsSdk;

namespace Growlytics.Benchmarks.EndToEnd;

/// <summary>
/// Goodput while part of the requests fail: 100,000 three-attribute updates from 1,000 users (4 producer tasks, each
/// message awaited into the queue so none is dropped), then <see cref="GrowlyticsClient.FlushAsync"/>, against a sink
/// that answers 503 to none, one or four requests in every ten (a fixed, evenly spread pattern). Default options
/// but the protocol: Batch (the engine's figures); in memory and with <see cref="GrowlyticsOptions.StorageDirectory"/>.
/// The ratio column is the goodput of each case against the healthy one with the same parameters, measured in the same
/// run. <see cref="RetryBaseDelayMs"/> 100 is the default; 10 shows how much of what the failing cases lose is the wait
/// before each retry (up to the base delay for a failure among successes) rather than the engine.
/// </summary>
[GoodputJob]
public class GoodputBenchmarks
{
    private const int Users = 1_000;
    private const int PerUser = 100;
    private const int MessageCount = Users * PerUser;
    private LoopbackSink _sink = null!;
    private Dictionary<string, object?> _attributes = null!;

    [Params(false, true)]
    public bool Storage { get; set; }

    /// <summary>Gets or sets <see cref="GrowlyticsOptions.RetryBaseDelay"/>, in milliseconds (100: the default).</summary>
    [Params(100, 10)]
    public int RetryBaseDelayMs { get; set; }

    [GlobalSetup]
    public async Task SetupAsync()
    {
        _sink = await LoopbackSink.StartAsync();
        _attributes = Attributes.Dictionary(3);
    }

    [GlobalCleanup]
    public async Task CleanupAsync() => await _sink.DisposeAsync();

    [Benchmark(Baseline = true, OperationsPerInvoke = MessageCount)]
    public Task Healthy() => RunAsync(0);

    [Benchmark(OperationsPerInvoke = MessageCount)]
    public Task TenPercentFailing() => RunAsync(1);

    [Benchmark(OperationsPerInvoke = MessageCount)]
    public Task FortyPercentFailing() => RunAsync(4);

    private Task RunAsync(int failuresPerTen) => RunAsync(_sink, _attributes, Users, PerUser, failuresPerTen, Storage, RetryBaseDelayMs);

    /// <summary>
    /// Runs one goodput scenario: <paramref name="users"/> × <paramref name="perUser"/> updates from 4 producers, each
    /// awaited into the queue, flushed, and (with storage) waited for until nothing is pending; throws when a message is
    /// neither delivered nor dropped as <see cref="DropReason.RetriesExhausted"/>.
    /// </summary>
    internal static async Task RunAsync(LoopbackSink sink, Dictionary<string, object?> attributes, int users, int perUser, int failuresPerTen, bool storage, int retryBaseDelayMs)
    {
        var messageCount = users * perUser;
        sink.FailuresPerTen = failuresPerTen;
        var folder = storage ? Path.Combine(Path.GetTempPath(), "growlytics-goodput-" + Guid.NewGuid().ToString("N")) : null;
        try
        {
            await using var client = new GrowlyticsClient(new GrowlyticsOptions
            {
                ApiKey = "benchmark-key",
                Endpoint = sink.Address,
                Protocol = GrowlyticsProtocol.Batch,
                StorageDirectory = folder,
                FlushOnProcessExit = false,
                RetryBaseDelay = TimeSpan.FromMilliseconds(retryBaseDelayMs),
            });
            var producers = Enumerable.Range(0, 4).Select(p => Task.Run(async () =>
            {
                for (var u = p; u < users; u += 4)
                {
                    var user = "user-" + u;
                    for (var i = 0; i < perUser; i++)
                    {
                        await client.Customers.UpdateAsync(user, attributes).ConfigureAwait(false);
                    }
                }
            }));
            await Task.WhenAll(producers).ConfigureAwait(false);
            await client.FlushAsync().ConfigureAwait(false);
            var waited = System.Diagnostics.Stopwatch.StartNew();
            while (client.Statistics.Pending > 0)
            {
                // With storage, a flush counts a message kept on disk after its retries as settled (it is retried
                // later): the figure is end to end only once nothing is pending.
                if (waited.Elapsed > TimeSpan.FromMinutes(2))
                {
                    throw new InvalidOperationException($"{client.Statistics.Pending} still pending 2 minutes after the flush.");
                }

                await Task.Delay(1).ConfigureAwait(false);
            }

            // With 40 % failing, a few batches fail all 7 attempts and are dropped as RetriesExhausted (the default
            // policy in memory); anything else missing would make the figure invalid.
            var statistics = client.Statistics;
            var exhausted = statistics.DroppedByReason[DropReason.RetriesExhausted];
            Console.WriteLine($"// goodput ({messageCount:N0} messages, {failuresPerTen}/10 failing, storage: {storage}, base delay {retryBaseDelayMs} ms): delivered {statistics.Delivered}, retries exhausted {exhausted}, retried {statistics.Retried}");
            if (statistics.Delivered + exhausted != messageCount)
            {
                throw new InvalidOperationException($"Delivered {statistics.Delivered} and dropped {exhausted} of {messageCount}: the figure is not valid.");
            }
        }
        finally
        {
            if (folder is not null && Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
    }
}
