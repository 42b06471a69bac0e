using System.Buffers.Text;
using System.IO.Compression;
using System.Runtime.InteropServices;
using System.Text.Json;
using GrowlyticsSdk.Diagnostics;

namespace GrowlyticsSdk.Serialization;

/// <summary>Builds the gzip-compressed body of one batch request from already serialized messages.</summary>
internal static class BatchBody
{
    private static readonly byte[] SentAtStart = "{\"sentAt\":"u8.ToArray();
    private static readonly byte[] EnvelopeRest = CreateEnvelopeRest();
    private static readonly byte[] MessagesEnd = "]}"u8.ToArray();

    /// <summary>The fixed bytes a batch adds around its messages (an upper bound, used for the size limit).</summary>
    public const int EnvelopeOverhead = 512;

    /// <summary>
    /// The compression level of request bodies. <see cref="CompressionLevel.Fastest"/>: on JSON batches it
    /// costs a fraction of <see cref="CompressionLevel.Optimal"/>'s time for a body only slightly larger
    /// (tests/Growlytics.Benchmarks/README.md has the figures).
    /// </summary>
    public const CompressionLevel Level = CompressionLevel.Fastest;

    /// <summary>The compressed body as a new array (the benchmarks' floor, and tests).</summary>
    public static byte[] Build(IReadOnlyList<ReadOnlyMemory<byte>> messages, DateTimeOffset sentAt) => Build(messages, sentAt, Level);

    /// <inheritdoc cref="Build(IReadOnlyList{ReadOnlyMemory{byte}}, DateTimeOffset)"/>
    public static byte[] Build(IReadOnlyList<ReadOnlyMemory<byte>> messages, DateTimeOffset sentAt, CompressionLevel level)
    {
        var output = Compress(messages, sentAt, level);
        var body = output.Array.AsSpan(0, (int)output.Length).ToArray();
        output.Return();
        return body;
    }

#if NET8_0_OR_GREATER
    /// <summary>
    /// The compressed body as a request's content, in a buffer that goes back to be reused once the request is disposed
    /// (see <see cref="BodyContent"/>): a request allocates no array for its body.
    /// </summary>
    public static BodyContent BuildContent(IReadOnlyList<ReadOnlyMemory<byte>> messages, DateTimeOffset sentAt) =>
        new(Compress(messages, sentAt, Level));
#endif

    /// <summary>
    /// Writes the body's JSON into a kept buffer and compresses it into a <see cref="BodyBuffer"/> the caller owns (and
    /// gives back): nothing of the messages' memory is referred to once it returns.
    /// </summary>
    internal static BodyBuffer Compress(IReadOnlyList<ReadOnlyMemory<byte>> messages, DateTimeOffset sentAt, CompressionLevel level)
    {
        // The JSON is laid out in one buffer first and compressed in one call: a write per message (and per comma)
        // into the gzip stream would cost a call into the compressor each. Both buffers are kept ones (BodyBuffer); the
        // JSON's goes back (cleared) at once, the output's with the request that sends it.
        var json = BodyBuffer.Rent();
        var output = BodyBuffer.Rent();
        try
        {
            WriteJson(json, messages, sentAt);
            using (var gzip = new GZipStream(output, level, leaveOpen: true))
            {
                gzip.Write(json.Array, 0, (int)json.Length);
            }
        }
        catch
        {
            output.Return();
            throw;
        }
        finally
        {
            json.Return();
        }

        return output;
    }

    /// <summary>Writes the uncompressed JSON; the gzip stream wraps this.</summary>
    public static void WriteJson(Stream destination, IReadOnlyList<ReadOnlyMemory<byte>> messages, DateTimeOffset sentAt)
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

            Write(destination, messages[i]);
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

    private static void Write(Stream destination, ReadOnlyMemory<byte> bytes)
    {
#if NET8_0_OR_GREATER
        destination.Write(bytes.Span);
#else
        // The messages live in arrays: written from there, without a copy.
        if (MemoryMarshal.TryGetArray(bytes, out var segment))
        {
            destination.Write(segment.Array!, segment.Offset, segment.Count);
            return;
        }

        Write(destination, bytes.Span);
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
