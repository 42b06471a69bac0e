using System.IO.Compression;
using BenchmarkDotNet.Attributes;
using Growlytics.Benchmarks.Infrastructure;
using GrowlyticsSdk.Serialization;

namespace Growlytics.Benchmarks.Serialization;

/// <summary>
/// Building one gzip request body from 100 serialized messages (the default batch size), at the level the SDK
/// uses (<see cref="CompressionLevel.Fastest"/>) and, for comparison, the slower levels.
/// </summary>
[ShortJob]
public class BatchBodyBenchmarks
{
    private static readonly DateTimeOffset SentAt = new(2026, 11, 28, 12, 0, 5, TimeSpan.Zero);
    private List<ReadOnlyMemory<byte>> _messages = null!;

    [Params(3, 20)]
    public int Attributes { get; set; }

    [Params(CompressionLevel.Fastest, CompressionLevel.Optimal)]
    public CompressionLevel Level { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _messages = Messages.Serialized(100, Attributes);
        var json = _messages.Sum(m => m.Length + 1) + 200;
        Console.WriteLine($"// batch of 100, {Attributes} attributes: ~{json} bytes of JSON, {Build100().Length} bytes gzip at {Level}");
    }

    [Benchmark]
    public byte[] Build100() => BatchBody.Build(_messages, SentAt, Level);
}
