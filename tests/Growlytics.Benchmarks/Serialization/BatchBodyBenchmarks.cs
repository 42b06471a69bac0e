using BenchmarkDotNet.Attributes;
using Growlytics.Benchmarks.Infrastructure;
using GrowlyticsSdk.Serialization;

namespace Growlytics.Benchmarks.Serialization;

/// <summary>Building one gzip request body from 100 serialized messages (the default batch size).</summary>
[ShortJob]
public class BatchBodyBenchmarks
{
    private static readonly DateTimeOffset SentAt = new(2026, 11, 28, 12, 0, 5, TimeSpan.Zero);
    private List<byte[]> _messages = null!;

    [Params(3, 20)]
    public int Attributes { get; set; }

    [GlobalSetup]
    public void Setup() => _messages = Messages.Serialized(100, Attributes);

    [Benchmark]
    public byte[] Build100() => BatchBody.Build(_messages, SentAt);
}
