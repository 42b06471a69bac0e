using BenchmarkDotNet.Attributes;
using Growlytics.Benchmarks.Infrastructure;
using GrowlyticsSdk;

namespace Growlytics.Benchmarks.EndToEnd;

/// <summary>
/// <see cref="GoodputBenchmarks"/> over a load that lasts: 1,000,000 three-attribute updates from 1,000 users (1,000
/// each), in memory, default options but the protocol (Batch), so the healthy case runs for about two seconds on a
/// 2-core machine instead of about 0.2 s. A fixed burst that short is over before the first retries' waits (up to the
/// 100 ms <see cref="GrowlyticsOptions.RetryBaseDelay"/>, doubling when a retry fails again) have passed, so its ratio
/// measures how long the last retry waits; here the waits overlap the ongoing delivery, as they do for an application
/// that keeps sending while part of its requests fail. The ratio column is against the healthy case of the same run.
/// </summary>
[GoodputJob]
public class SustainedGoodputBenchmarks
{
    private const int Users = 1_000;
    private const int PerUser = 1_000;
    private const int MessageCount = Users * PerUser;
    private LoopbackSink _sink = null!;
    private Dictionary<string, object?> _attributes = null!;

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

    private Task RunAsync(int failuresPerTen) =>
        GoodputBenchmarks.RunAsync(_sink, _attributes, Users, PerUser, failuresPerTen, storage: false, retryBaseDelayMs: 100);
}
