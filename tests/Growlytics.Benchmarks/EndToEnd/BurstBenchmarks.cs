using BenchmarkDotNet.Attributes;
using Growlytics.Benchmarks.Infrastructure;
using GrowlyticsSdk;

namespace Growlytics.Benchmarks.EndToEnd;

/// <summary>
/// A burst with DEFAULT options (a nightly sync, an import): 50,000 three-attribute updates pushed from one thread as
/// fast as it can, then <see cref="GrowlyticsClient.FlushAsync"/>, to a loopback sink, in memory and with
/// <see cref="GrowlyticsOptions.StorageDirectory"/>. Each iteration prints delivered and dropped; the run fails if one
/// message was dropped.
/// </summary>
[GoodputJob]
public class BurstBenchmarks
{
    private const int MessageCount = 50_000;
    private LoopbackSink _sink = null!;
    private Dictionary<string, object?> _attributes = null!;

    [Params(false, true)]
    public bool Storage { get; set; }

    [GlobalSetup]
    public async Task SetupAsync()
    {
        _sink = await LoopbackSink.StartAsync();
        _attributes = Attributes.Dictionary(3);
    }

    [GlobalCleanup]
    public async Task CleanupAsync() => await _sink.DisposeAsync();

    [Benchmark(OperationsPerInvoke = MessageCount)]
    public async Task PushBurstWithDefaults()
    {
        var folder = Storage ? Path.Combine(Path.GetTempPath(), "growlytics-burst-" + Guid.NewGuid().ToString("N")) : null;
        try
        {
            var client = new GrowlyticsClient(new GrowlyticsOptions
            {
                ApiKey = "benchmark-key",
                Endpoint = _sink.Address,
                Protocol = GrowlyticsProtocol.Batch,
                StorageDirectory = folder,
                FlushOnProcessExit = false,
            });
            var user = client.User;
            for (var i = 0; i < MessageCount; i++)
            {
                user.Push(_attributes);
            }

            await client.FlushAsync();
            while (client.Statistics.Pending > 0)
            {
                // A flush with storage counts a message kept on disk after its retries as settled: the figure is end
                // to end only once nothing is pending.
                await Task.Delay(1);
            }

            await client.DisposeAsync();
            var statistics = client.Statistics;
            Console.WriteLine($"// burst (storage: {Storage}): enqueued {statistics.Enqueued}, delivered {statistics.Delivered}, dropped {statistics.Dropped}");
            if (statistics.Dropped != 0 || statistics.Delivered != MessageCount)
            {
                throw new InvalidOperationException($"Delivered {statistics.Delivered}, dropped {statistics.Dropped} of {MessageCount}.");
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
