using BenchmarkDotNet.Attributes;
using Growlytics.Benchmarks.Infrastructure;
using GrowlyticsSdk.Messages;
using GrowlyticsSdk.Serialization;

namespace Growlytics.Benchmarks.Serialization;

/// <summary>Serializing one queued message to its wire JSON (done on the delivery loop, once per message).</summary>
[ShortJob]
public class MessageJsonWriterBenchmarks
{
    private readonly ByteBufferWriter _buffer = new(1024);
    private UserMessage _message = null!;

    [Params(3, 20)]
    public int Attributes { get; set; }

    [GlobalSetup]
    public void Setup() => _message = Messages.Update(Attributes);

    [Benchmark]
    public byte[] Serialize() => MessageJsonWriter.Serialize(_message, _buffer);
}
