using System.Buffers.Text;
using System.Runtime.CompilerServices;
using GrowlyticsSdk.Messages;
using GrowlyticsSdk.Validation;

namespace GrowlyticsSdk.Serialization;

/// <summary>
/// The common case of <see cref="MessageJsonWriter.Append"/> without <see cref="System.Text.Json.Utf8JsonWriter"/>:
/// a message whose strings are printable ASCII that JSON copies as they are, and whose values are strings,
/// <see cref="bool"/>, <see cref="int"/>, <see cref="long"/>, stored number texts or dates, is written as bytes
/// directly: the same bytes the writer produces (tests compare the two), in about a quarter of its time. Anything else (a
/// character to escape, a non-ASCII one, a floating-point or decimal value) is left to the writer.
/// </summary>
internal static class PlainMessageJson
{
    private static ReadOnlySpan<byte> UpdateStart => "{\"type\":\"update\",\"messageId\":\""u8;
    private static ReadOnlySpan<byte> LoginStart => "{\"type\":\"login\",\"messageId\":\""u8;
    private static ReadOnlySpan<byte> LogoutStart => "{\"type\":\"logout\",\"messageId\":\""u8;
    private static ReadOnlySpan<byte> TimestampName => "\",\"eventTimestamp\":"u8;
    private static ReadOnlySpan<byte> AnonymousIdName => ",\"anonymousId\":"u8;
    private static ReadOnlySpan<byte> UserIdName => ",\"userId\":"u8;
    private static ReadOnlySpan<byte> AttributesName => ",\"attributes\":["u8;
    private static ReadOnlySpan<byte> NameStart => "{\"name\":\""u8;
    private static ReadOnlySpan<byte> StringType => "\",\"type\":\"string\",\"value\":"u8;
    private static ReadOnlySpan<byte> NumberType => "\",\"type\":\"number\",\"value\":"u8;
    private static ReadOnlySpan<byte> BooleanType => "\",\"type\":\"boolean\",\"value\":"u8;
    private static ReadOnlySpan<byte> DateType => "\",\"type\":\"date\",\"value\":"u8;
    private static ReadOnlySpan<byte> Null => "null"u8;
    private static ReadOnlySpan<byte> True => "true"u8;
    private static ReadOnlySpan<byte> False => "false"u8;

    // The attributes' openings written lately, by a hash of name and kind (see CopyOpening), and how often each slot was
    // asked for another name since it was filled: a name replaces another one only once it missed a few times, so names
    // that never come back (an application that makes them up) cost an opening now and then, not one per attribute.
    private const int OpeningSlots = 256;
    private const int MissesToReplace = 8;
    private static readonly Opening?[] Openings = new Opening?[OpeningSlots];
    private static readonly int[] OpeningMisses = new int[OpeningSlots];

    /// <summary>The most a fixed part, a number or a date adds: room checked once, up front.</summary>
    private const int FixedBytes = 192;
    private const int PerAttributeBytes = 96;

    // The ASCII characters the writer's encoder leaves as they are, asked of the encoder itself so the two cannot
    // disagree: printable ASCII without the quote and the backslash.
    private static readonly bool[] Plain = CreatePlainTable();

    /// <summary>
    /// Appends the message's JSON to <paramref name="destination"/> and returns <see langword="true"/>; or writes
    /// nothing and returns <see langword="false"/> when the message needs the general writer.
    /// </summary>
    public static bool TryAppend(UserMessage message, ByteBufferWriter destination)
    {
        var attributes = message.Attributes;
        var bound = FixedBytes + (message.RestoredMessageId?.Length ?? 0) + (message.AnonymousId?.Length ?? 0) + (message.UserId?.Length ?? 0);
        if (message.Type != MessageType.Logout)
        {
            foreach (var attribute in attributes)
            {
                bound += PerAttributeBytes + (attribute.Name?.Length ?? 0) + (attribute.Value is string s ? s.Length : 0);
            }
        }

        var span = destination.GetSpan(bound);
        var at = 0;
        Copy(span, ref at, message.Type switch
        {
            MessageType.Login => LoginStart,
            MessageType.Logout => LogoutStart,
            _ => UpdateStart,
        });
        if (message.RestoredMessageId is { } restored)
        {
            if (!CopyPlain(span, ref at, restored))
            {
                return false;
            }
        }
        else
        {
            MessageIds.FormatUtf8(message.Sequence, span.Slice(at, MessageIds.Length));
            at += MessageIds.Length;
        }

        Copy(span, ref at, TimestampName);
        if (!Number(span, ref at, message.UnixTimeMilliseconds))
        {
            return false;
        }

        Copy(span, ref at, AnonymousIdName);
        if (!StringOrNull(span, ref at, message.AnonymousId))
        {
            return false;
        }

        Copy(span, ref at, UserIdName);
        if (!StringOrNull(span, ref at, message.UserId))
        {
            return false;
        }

        if (message.Type != MessageType.Logout)
        {
            Copy(span, ref at, AttributesName);
            for (var i = 0; i < attributes.Length; i++)
            {
                if (i > 0)
                {
                    span[at++] = (byte)',';
                }

                if (!Attribute(span, ref at, attributes[i]))
                {
                    return false;
                }
            }

            span[at++] = (byte)']';
        }

        span[at++] = (byte)'}';
        destination.Advance(at);
        return true;
    }

    private static bool Attribute(Span<byte> span, ref int at, UserAttribute attribute)
    {
        if (attribute.Name is not { } name)
        {
            return false;
        }

        if (!CopyOpening(span, ref at, name, attribute.Kind))
        {
            return false;
        }

        switch (attribute.Value)
        {
            case string s:
                span[at++] = (byte)'"';
                if (!CopyPlain(span, ref at, s))
                {
                    return false;
                }

                span[at++] = (byte)'"';
                break;
            case bool b: Copy(span, ref at, b ? True : False); break;
            case int i:
                if (!Number(span, ref at, i))
                {
                    return false;
                }

                break;
            case long l:
                if (!Number(span, ref at, l))
                {
                    return false;
                }

                break;
            case NumberText { Text.Length: > 0 and <= 40 } number:
                // Written raw by the writer, without escaping: any ASCII text is copied as it is.
                foreach (var c in number.Text)
                {
                    if (c > 0x7F)
                    {
                        return false;
                    }

                    span[at++] = (byte)c;
                }

                break;
            case DateTime dt: Date(span, ref at, MessageJsonWriter.ToUtc(dt)); break;
            case DateTimeOffset dto: Date(span, ref at, dto.UtcDateTime); break;
            default: return false;
        }

        span[at++] = (byte)'}';
        return true;
    }

    /// <summary>
    /// Writes an attribute's opening, <c>{"name":"…","type":"…","value":</c>, from <see cref="Openings"/> when its name
    /// was written before (an application sends the same few names over and over); <see langword="false"/> (nothing
    /// written) when the name needs the general writer.
    /// </summary>
    private static bool CopyOpening(Span<byte> span, ref int at, string name, AttributeKind kind)
    {
        var openings = Openings;
        var slot = OpeningSlot(name, kind);
        var opening = Volatile.Read(ref openings[slot]);
        if (opening is null || opening.Kind != kind || !string.Equals(opening.Name, name, StringComparison.Ordinal))
        {
            var start = at;
            Copy(span, ref at, NameStart);
            if (!CopyPlain(span, ref at, name))
            {
                at = start;
                return false;
            }

            Copy(span, ref at, kind switch
            {
                AttributeKind.Number => NumberType,
                AttributeKind.Boolean => BooleanType,
                AttributeKind.Date => DateType,
                _ => StringType,
            });

            // Kept for the next message with this name; entries never change, so threads writing messages at once
            // (clients' loops, a storage writer) read whole ones whoever stored them. The miss count is a hint only: a
            // count lost to a race replaces an entry a little later.
            if (opening is null || ++OpeningMisses[slot] >= MissesToReplace)
            {
                OpeningMisses[slot] = 0;
                Volatile.Write(ref openings[slot], new Opening(name, kind, span.Slice(start, at - start).ToArray()));
            }

            return true;
        }

        Copy(span, ref at, opening.Bytes);
        return true;
    }

    // Cheap to compute and enough to spread an application's few dozen names: their length, their first and last characters.
    private static int OpeningSlot(string name, AttributeKind kind) =>
        name.Length == 0 ? (int)kind : ((name.Length * 31) + (name[0] * 7) + name[name.Length - 1] + ((int)kind << 5)) & (OpeningSlots - 1);

    private static void Date(Span<byte> span, ref int at, DateTime value)
    {
        span[at++] = (byte)'"';
        MessageJsonWriter.FormatDate(span.Slice(at, MessageJsonWriter.DateLength), value);
        at += MessageJsonWriter.DateLength;
        span[at++] = (byte)'"';
    }

    private static bool StringOrNull(Span<byte> span, ref int at, string? value)
    {
        if (value is null)
        {
            Copy(span, ref at, Null);
            return true;
        }

        span[at++] = (byte)'"';
        if (!CopyPlain(span, ref at, value))
        {
            return false;
        }

        span[at++] = (byte)'"';
        return true;
    }

    /// <summary>Copies <paramref name="value"/> as ASCII bytes; <see langword="false"/> at the first character the writer would escape.</summary>
    private static bool CopyPlain(Span<byte> span, ref int at, string value)
    {
        var plain = Plain;
        var source = value.AsSpan();
        var destination = span.Slice(at, source.Length);

        // Both lengths in the condition, so neither index is checked again per character.
        for (var i = 0; i < source.Length && i < destination.Length; i++)
        {
            var c = source[i];
            if (c >= plain.Length || !plain[c])
            {
                return false;
            }

            destination[i] = (byte)c;
        }

        at += value.Length;
        return true;
    }

    // Inlined, so where a constant is copied its length is known and the copy is a few moves, not a call (not where the
    // span comes from a switch).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Copy(Span<byte> span, ref int at, ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(span.Slice(at));
        at += bytes.Length;
    }

    /// <summary>Writes the digits; <see langword="false"/> (nothing written) only if the room checked up front were short.</summary>
    private static bool Number(Span<byte> span, ref int at, long value)
    {
        if (!Utf8Formatter.TryFormat(value, span.Slice(at), out var written))
        {
            return false;
        }

        at += written;
        return true;
    }

    private static bool[] CreatePlainTable()
    {
        var table = new bool[128];
        var encoder = MessageJsonWriter.WriterOptions.Encoder!;
        Span<byte> one = stackalloc byte[1];
        for (var c = 0x20; c < 0x7F; c++)
        {
            one[0] = (byte)c;
            table[c] = c != '"' && c != '\\' && encoder.FindFirstCharacterToEncodeUtf8(one) < 0;
        }

        return table;
    }

    /// <summary>One attribute's opening as written: for its name and kind only.</summary>
    private sealed class Opening(string name, AttributeKind kind, byte[] bytes)
    {
        public string Name { get; } = name;

        public AttributeKind Kind { get; } = kind;

        public byte[] Bytes { get; } = bytes;
    }
}
