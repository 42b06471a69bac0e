using System.Globalization;
using System.Text.Json;
using GrowlyticsSdk.Messages;
using GrowlyticsSdk.Serialization;
using GrowlyticsSdk.Validation;

namespace GrowlyticsSdk.Storage;

/// <summary>
/// A stored record's payload: the message as JSON that describes it (type, ids, time, attributes with their types, and
/// how many calls it settles), not a request body, so either wire protocol can send it after a restart. Records written
/// by 0.1.0 (format 1: the batch protocol's message object) read the same way.
/// </summary>
internal static class StoredMessages
{
    private const string DateFormat = "yyyy-MM-dd HH:mm:ss";

    public static byte[] Serialize(UserMessage message, ByteBufferWriter buffer)
    {
        buffer.Clear();
        var writer = buffer.JsonWriter;
        writer.Reset(buffer);
        MessageJsonWriter.Write(writer, message, withCalls: true);
        writer.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>
    /// Reads how many calls a payload settles without building the message: storage counts calls, not records, and runs
    /// this for every record it loads or reads. Only the top-level properties before <c>attributes</c> are looked at
    /// (<c>calls</c> is written right after <c>messageId</c>). 1 when absent (every format-1 record) or unreadable, the
    /// same as <see cref="TryRead"/> makes of it; a payload that is no message at all is settled as one call.
    /// </summary>
    public static int ReadCalls(ReadOnlySpan<byte> payload)
    {
        try
        {
            var reader = new Utf8JsonReader(payload);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return 1;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals(JsonNames.Calls.EncodedUtf8Bytes))
                {
                    return reader.Read() && reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var calls) ? Math.Max(1, calls) : 1;
                }

                if (reader.ValueTextEquals(JsonNames.Attributes.EncodedUtf8Bytes) || !reader.Read() || !reader.TrySkip())
                {
                    return 1;
                }
            }
        }
        catch (JsonException)
        {
            // Damaged or cut short before the count: one call, as for a record without it.
        }

        return 1;
    }

    /// <summary>Reads a payload back; <see langword="null"/> when it does not describe a message this version can send.</summary>
    /// <remarks>
    /// <paramref name="recent"/> (of <see cref="RecentSlots"/>, owned by the reader): the strings read last, reused when a
    /// record has the same text in the same place. Each string is checked against the record's text before it is used,
    /// so a reader on another thread can only cost a copy, never give a wrong string.
    /// </remarks>
    public static UserMessage? TryRead(byte[] payload, long acceptedMs, string?[]? recent = null)
    {
        try
        {
            return Read(payload, acceptedMs, recent ?? []);
        }
        catch (Exception ex) when (ex is JsonException or FormatException or InvalidOperationException or OverflowException or ArgumentException or KeyNotFoundException)
        {
            return null;
        }
    }

    private static RestoredUserMessage? Read(byte[] payload, long acceptedMs, string?[] recent)
    {
        using var document = JsonDocument.Parse(payload);
        var root = document.RootElement;
        var type = root.GetProperty("type").GetString() switch
        {
            "update" => MessageType.Update,
            "login" => MessageType.Login,
            "logout" => MessageType.Logout,
            _ => (MessageType?)null,
        };
        if (type is not { } messageType)
        {
            return null;
        }

        var messageId = RequiredString(root.GetProperty("messageId"));
        var timestamp = root.TryGetProperty("eventTimestamp", out var ts) && ts.ValueKind == JsonValueKind.Number
            ? DateTimeOffset.FromUnixTimeMilliseconds(ts.GetInt64())
            : DateTimeOffset.FromUnixTimeMilliseconds(acceptedMs);
        var anonymousId = OptionalString(root, "anonymousId", recent, 0);
        var userId = OptionalString(root, "userId", recent, 1);
        var calls = root.TryGetProperty("calls", out var c) ? c.GetInt32() : 1;
        var attributes = Array.Empty<UserAttribute>();
        if (root.TryGetProperty("attributes", out var list) && list.GetArrayLength() is var count and > 0)
        {
            attributes = new UserAttribute[count];
            var i = 0;
            foreach (var attribute in list.EnumerateArray())
            {
                var name = RequiredString(attribute.GetProperty("name"), recent, 2 + i);
                var value = attribute.GetProperty("value");
                attributes[i++] = attribute.GetProperty("type").GetString() switch
                {
                    "number" when value.ValueKind == JsonValueKind.Number => new UserAttribute(name, new NumberText(value.GetRawText())),
                    "boolean" => new UserAttribute(name, value.GetBoolean()),
                    "date" => new UserAttribute(name, DateTime.SpecifyKind(DateTime.ParseExact(RequiredString(value), DateFormat, CultureInfo.InvariantCulture), DateTimeKind.Utc)),
                    "string" => new UserAttribute(name, RequiredString(value)),
                    _ => throw new FormatException("Unknown attribute type, or a value of another type."),
                };
            }
        }

        return new RestoredUserMessage(messageType, 0, timestamp, anonymousId, userId, attributes, Math.Max(1, calls), messageId);
    }

    // A record the SDK wrote always has these; one without them (damaged, yet still JSON) is not sent with a null.
    private static string RequiredString(JsonElement element) => RequiredString(element, [], 0);

    /// <summary>
    /// Like <see cref="RequiredString(JsonElement)"/>, but returns the string read last in the same place of a record
    /// (<paramref name="slot"/>: the ids, then each attribute's name by position) when the text is the same, so the
    /// records of one user, or with the same attribute names, do not each make their own copy.
    /// </summary>
    private static string RequiredString(JsonElement element, string?[] recent, int slot)
    {
        if (element.ValueKind != JsonValueKind.String)
        {
            throw new FormatException("A string was expected.");
        }

        if (slot < recent.Length && recent[slot] is { } last && element.ValueEquals(last))
        {
            return last;
        }

        var text = element.GetString()!;
        if (slot < recent.Length)
        {
            recent[slot] = text;
        }

        return text;
    }

    private static string? OptionalString(JsonElement root, string name, string?[] recent, int slot) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? RequiredString(value, recent, slot) : null;

    /// <summary>How many strings a reader's <c>recent</c> array keeps: the two ids and the names of the first 14 attributes.</summary>
    public const int RecentSlots = 16;
}
