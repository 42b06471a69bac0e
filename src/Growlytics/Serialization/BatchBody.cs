using System.IO.Compression;
using System.Text.Json;

namespace GrowlyticsSdk.Serialization;

/// <summary>Builds the gzip-compressed body of one batch request from already serialized messages.</summary>
internal static class BatchBody
{
    private static readonly byte[] MessagesStart = "\"messages\":["u8.ToArray();
    private static readonly byte[] MessagesEnd = "]}"u8.ToArray();

    /// <summary>The fixed bytes a batch adds around its messages (an upper bound, used for the size limit).</summary>
    public const int EnvelopeOverhead = 512;

    public static byte[] Build(IReadOnlyList<byte[]> messages, DateTimeOffset sentAt)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true))
        {
            WriteJson(gzip, messages, sentAt);
        }

        return output.ToArray();
    }

    /// <summary>Writes the uncompressed JSON; the gzip stream wraps this.</summary>
    public static void WriteJson(Stream destination, IReadOnlyList<byte[]> messages, DateTimeOffset sentAt)
    {
        using (var writer = new Utf8JsonWriter(destination, MessageJsonWriter.WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteNumber("sentAt", sentAt.ToUnixTimeMilliseconds());
            writer.WriteStartObject("sdk");
            writer.WriteString("name", SdkInfo.Name);
            writer.WriteString("version", SdkInfo.Version);
            writer.WriteEndObject();
            writer.WriteStartObject("device");
            writer.WriteString("platform", SdkInfo.Platform);
            writer.WriteString("osName", SdkInfo.OsName);
            writer.WriteString("osVersion", SdkInfo.OsVersion);
            writer.WriteEndObject();

            // The messages are already JSON: copied in as they are, so a retry resends identical bytes.
            writer.Flush();
        }

        destination.WriteByte((byte)',');
        destination.Write(MessagesStart, 0, MessagesStart.Length);
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
}
