using BenchmarkDotNet.Attributes;
using Growlytics.Benchmarks.Infrastructure;
using GrowlyticsSdk.Messages;
using GrowlyticsSdk.Serialization;

namespace Growlytics.Benchmarks.Serialization;

/// <summary>
/// Serializing one queued message to its wire JSON, once per message: <see cref="Serialize"/> into a new array of its own,
/// <see cref="Append"/> appended to a reused buffer, as the delivery loop appends a request's messages.
/// </summary>
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

    [Benchmark]
    public int Append()
    {
        _buffer.Clear();
        MessageJsonWriter.Append(_message, _buffer);
        return _buffer.WrittenCount;
    }
}
