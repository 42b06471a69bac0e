using System.Buffers.Text;
using System.IO.Compression;
using System.Text.Json;

namespace GrowlyticsSdk.Serialization;

/// <summary>Builds the gzip-compressed body of one batch request from already serialized messages.</summary>
internal static class BatchBody
{
    private static readonly byte[] SentAtStart = "{\"sentAt\":"u8.ToArray();
    private static readonly byte[] EnvelopeRest = CreateEnvelopeRest();
    private static readonly byte[] MessagesEnd = "]}"u8.ToArray();
    private const int InitialOutputCapacity = 16 * 1024;
    private const int MaxKeptOutputCapacity = 256 * 1024;
    private const int InitialJsonCapacity = 64 * 1024;
    private const int MaxKeptJsonCapacity = 1024 * 1024;

    [ThreadStatic]
    private static MemoryStream? _output;

    [ThreadStatic]
    private static MemoryStream? _json;

    /// <summary>The fixed bytes a batch adds around its messages (an upper bound, used for the size limit).</summary>
    public const int EnvelopeOverhead = 512;

    /// <summary>
    /// The compression level of request bodies. <see cref="CompressionLevel.Fastest"/>: on JSON batches it
    /// costs a fraction of <see cref="CompressionLevel.Optimal"/>'s time for a body only slightly larger
    /// (tests/Growlytics.Benchmarks/README.md has the figures).
    /// </summary>
    public const CompressionLevel Level = CompressionLevel.Fastest;

    public static byte[] Build(IReadOnlyList<byte[]> messages, DateTimeOffset sentAt) => Build(messages, sentAt, Level);

    public static byte[] Build(IReadOnlyList<byte[]> messages, DateTimeOffset sentAt, CompressionLevel level)
    {
        // Bodies are built on the delivery loop's thread, one at a time: the output stream is kept per thread and
        // reused, so a batch allocates only its final body instead of every doubling of a new stream.
        // The JSON is laid out in one buffer first and compressed in one call: a write per message (and per comma)
        // into the gzip stream would cost a call into the compressor each.
        var json = _json ??= new MemoryStream(InitialJsonCapacity);
        json.SetLength(0);
        WriteJson(json, messages, sentAt);
        var output = _output ??= new MemoryStream(InitialOutputCapacity);
        output.SetLength(0);
        using (var gzip = new GZipStream(output, level, leaveOpen: true))
        {
            gzip.Write(json.GetBuffer(), 0, (int)json.Length);
        }

        var body = output.ToArray();
        if (output.Capacity > MaxKeptOutputCapacity || json.Capacity > MaxKeptJsonCapacity)
        {
            // An unusually large batch: do not keep its buffers alive for the life of the thread.
            _output = null;
            _json = null;
        }

        return body;
    }

    /// <summary>Writes the uncompressed JSON; the gzip stream wraps this.</summary>
    public static void WriteJson(Stream destination, IReadOnlyList<byte[]> messages, DateTimeOffset sentAt)
    {
        // Only sentAt changes from batch to batch; the rest of the envelope was written once, by the same writer settings.
        Span<byte> digits = stackalloc byte[20];
        Utf8Formatter.TryFormat(sentAt.ToUnixTimeMilliseconds(), digits, out var length);
        Write(destination, SentAtStart);
        Write(destination, digits.Slice(0, length));
        Write(destination, EnvelopeRest);

        // The messages are already JSON: copied in as they are, so a retry resends identical bytes.
        for (var i = 0; i < messages.Count; i++)
        {
            if (i > 0)
            {
                destination.WriteByte((byte)',');
            }

            destination.Write(messages[i], 0, messages[i].Length);
        }

        destination.Write(MessagesEnd, 0, MessagesEnd.Length);
    }

    private static void Write(Stream destination, ReadOnlySpan<byte> bytes)
    {
#if NET8_0_OR_GREATER
        destination.Write(bytes);
#else
        var array = bytes.ToArray();
        destination.Write(array, 0, array.Length);
#endif
    }

    /// <summary>The envelope after the <c>sentAt</c> value, up to the opening bracket of <c>messages</c>.</summary>
    private static byte[] CreateEnvelopeRest()
    {
        var buffer = new ByteBufferWriter(256);
        using (var writer = new Utf8JsonWriter(buffer, MessageJsonWriter.WriterOptions))
        {
            writer.WriteStartObject("sdk");
            writer.WriteString("name", SdkInfo.Name);
            writer.WriteString("version", SdkInfo.Version);
            writer.WriteEndObject();
            writer.WriteStartObject("device");
            writer.WriteString("platform", SdkInfo.Platform);
            writer.WriteString("osName", SdkInfo.OsName);
            writer.WriteString("osVersion", SdkInfo.OsVersion);
            writer.WriteEndObject();
        }

        var rest = new List<byte> { (byte)',' };
        rest.AddRange(buffer.WrittenSpan.ToArray());
        rest.AddRange(",\"messages\":["u8.ToArray());
        return [.. rest];
    }
}
