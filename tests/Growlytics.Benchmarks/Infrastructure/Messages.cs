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

    /// <summary>
    /// Serialized messages, as the delivery loop hands them to <see cref="BatchBody"/>. Users and values vary
    /// (seeded), so gzip sees a batch closer to real traffic than 100 copies of one message.
    /// </summary>
    public static List<ReadOnlyMemory<byte>> Serialized(int count, int attributes)
    {
        string[] cities = ["San Francisco", "Mumbai", "Berlin", "Sao Paulo", "Lagos", "Osaka", "Toronto", "Sydney", "Madrid", "Jakarta"];
        var random = new Random(42);
        var buffer = new ByteBufferWriter(1024);
        var list = new List<ReadOnlyMemory<byte>>(count);
        for (var i = 0; i < count; i++)
        {
            var values = Attributes.Dictionary(attributes);
            values["city"] = cities[random.Next(cities.Length)];
            values["totalPurchaseTillNow"] = random.Next(0, 1_000_000);
            if (attributes > 3)
            {
                values["score"] = Math.Round(random.NextDouble() * 5, 2);
                values["visits"] = (long)random.Next(1, 100_000);
                values["seats"] = random.Next(1, 500);
            }

            var anonymousId = Convert.ToBase64String(BitConverter.GetBytes(random.NextInt64())).TrimEnd('=').Replace('+', '-').Replace('/', '_');
            var message = new UserMessage(MessageType.Update, MessageIds.Next(), Timestamp.AddMilliseconds(i * 37), anonymousId, "user-" + random.Next(1_000_000), AttributeReader.Read(values));
            list.Add(MessageJsonWriter.Serialize(message, buffer));
        }

        return list;
    }
}
