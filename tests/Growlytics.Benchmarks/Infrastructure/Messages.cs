using GrowlyticsSdk.Messages;
using GrowlyticsSdk.Serialization;
using GrowlyticsSdk.Validation;

namespace Growlytics.Benchmarks.Infrastructure;

/// <summary>Messages as the queue holds them, built through the same validation the public API uses.</summary>
internal static class Messages
{
    private static readonly DateTimeOffset Timestamp = new(2026, 11, 28, 12, 0, 0, TimeSpan.Zero);

    public static UserMessage Update(int attributes, string? userId = "user-42") =>
        new(MessageType.Update, MessageIds.Next(), Timestamp, "bK3nS0x2QyqP9m5oVv1a7w", userId, AttributeReader.Read(Attributes.Dictionary(attributes)));

    /// <summary>Serialized messages, as the delivery loop hands them to <see cref="BatchBody"/>.</summary>
    public static List<byte[]> Serialized(int count, int attributes)
    {
        var buffer = new ByteBufferWriter(1024);
        var list = new List<byte[]>(count);
        for (var i = 0; i < count; i++)
        {
            list.Add(MessageJsonWriter.Serialize(Update(attributes), buffer));
        }

        return list;
    }
}
