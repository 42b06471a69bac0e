using System.Globalization;
using System.Numerics;
#if !NET8_0_OR_GREATER
using System.Text;
#endif
using System.Text.Encodings.Web;
using System.Text.Json;
using GrowlyticsSdk.Messages;
using GrowlyticsSdk.Validation;

namespace GrowlyticsSdk.Serialization;

/// <summary>
/// Writes messages in the wire form (docs/wire-protocol.md) with <see cref="Utf8JsonWriter"/>: no reflection,
/// trim- and AOT-safe, and every number written with all its digits.
/// </summary>
internal static class MessageJsonWriter
{
    internal static readonly JsonWriterOptions WriterOptions = new()
    {
        // The body is never embedded in HTML, so only what JSON itself requires is escaped.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        SkipValidation = true,
    };

    /// <summary>The length of <c>yyyy-MM-dd HH:mm:ss</c>, the wire form of dates.</summary>
    internal const int DateLength = 19;

    /// <summary>Serializes one message to a new UTF-8 byte array; done once per message, off the caller's thread.</summary>
    public static byte[] Serialize(UserMessage message, ByteBufferWriter buffer)
    {
        buffer.Clear();
        Append(message, buffer);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Appends the message's JSON object to <paramref name="destination"/>, after what it holds.</summary>
    public static void Append(UserMessage message, ByteBufferWriter destination)
    {
        if (PlainMessageJson.TryAppend(message, destination))
        {
            return;
        }

        var writer = destination.JsonWriter;
        writer.Reset(destination);
        Write(writer, message);
        writer.Flush();
    }

    public static void Write(Utf8JsonWriter writer, UserMessage message, bool withCalls = false)
    {
        writer.WriteStartObject();
        writer.WriteString(JsonNames.Type, message.Type switch
        {
            MessageType.Login => JsonNames.Login,
            MessageType.Logout => JsonNames.Logout,
            _ => JsonNames.Update,
        });
        if (message.RestoredMessageId is { } restored)
        {
            writer.WriteString(JsonNames.MessageId, restored);
        }
        else
        {
            Span<byte> messageId = stackalloc byte[MessageIds.Length];
            MessageIds.FormatUtf8(message.Sequence, messageId);
            writer.WriteString(JsonNames.MessageId, messageId);
        }

        if (withCalls && message.Calls != 1)
        {
            writer.WriteNumber(JsonNames.Calls, message.Calls);
        }

        writer.WriteNumber(JsonNames.EventTimestamp, message.UnixTimeMilliseconds);
        if (message.AnonymousId is null)
        {
            writer.WriteNull(JsonNames.AnonymousId);
        }
        else
        {
            writer.WriteString(JsonNames.AnonymousId, message.AnonymousId);
        }

        if (message.UserId is null)
        {
            writer.WriteNull(JsonNames.UserId);
        }
        else
        {
            writer.WriteString(JsonNames.UserId, message.UserId);
        }

        if (message.Type != MessageType.Logout)
        {
            writer.WriteStartArray(JsonNames.Attributes);
            foreach (var attribute in message.Attributes)
            {
                WriteAttribute(writer, attribute);
            }

            writer.WriteEndArray();
        }

        writer.WriteEndObject();
    }

    /// <summary>Writes one <c>{"name","type","value"}</c> item; shared by every wire form that carries attributes.</summary>
    internal static void WriteAttribute(Utf8JsonWriter writer, UserAttribute attribute)
    {
        writer.WriteStartObject();
        writer.WriteString(JsonNames.Name, attribute.Name);
        writer.WriteString(JsonNames.Type, attribute.Kind switch
        {
            AttributeKind.Number => JsonNames.Number,
            AttributeKind.Boolean => JsonNames.Boolean,
            AttributeKind.Date => JsonNames.Date,
            _ => JsonNames.String,
        });
        writer.WritePropertyName(JsonNames.Value);
        WriteValue(writer, attribute.Value);
        writer.WriteEndObject();
    }

    internal static void WriteValue(Utf8JsonWriter writer, object value)
    {
        switch (value)
        {
            case NumberText number: writer.WriteRawValue(number.Text, skipInputValidation: true); break;
            case string s: writer.WriteStringValue(s); break;
            case bool b: writer.WriteBooleanValue(b); break;
            case int i: writer.WriteNumberValue(i); break;
            case long l: writer.WriteNumberValue(l); break;
#if NET8_0_OR_GREATER
            case double d: writer.WriteNumberValue(d); break;
            case decimal m: writer.WriteNumberValue(m); break;
            case float f: writer.WriteNumberValue(f); break;
#else
            // System.Text.Json's netstandard2.0 assembly, which .NET Framework apps get, writes 17 and 9 significant digits
            // (0.1 as 0.10000000000000001, 19.99f as 19.9899998): the shortest text that round-trips is written here.
            case double d: writer.WriteRawValue(ShortestText(d), skipInputValidation: true); break;
            case decimal m: writer.WriteNumberValue(m); break;
            case float f: writer.WriteRawValue(ShortestText(f), skipInputValidation: true); break;
#endif
            case short s16: writer.WriteNumberValue(s16); break;
            case byte u8: writer.WriteNumberValue(u8); break;
            case sbyte s8: writer.WriteNumberValue(s8); break;
            case ushort u16: writer.WriteNumberValue(u16); break;
            case uint u32: writer.WriteNumberValue(u32); break;
            case ulong u64: writer.WriteNumberValue(u64); break;
            case char c: writer.WriteStringValue(c.ToString()); break;
            case BigInteger big: writer.WriteRawValue(big.ToString("R", CultureInfo.InvariantCulture), skipInputValidation: true); break;
            case DateTime dt: WriteDate(writer, ToUtc(dt)); break;
            case DateTimeOffset dto: WriteDate(writer, dto.UtcDateTime); break;
#if NET8_0_OR_GREATER
            case Half h: writer.WriteRawValue(h.ToString("R", CultureInfo.InvariantCulture), skipInputValidation: true); break;
            case Int128 i128: writer.WriteRawValue(i128.ToString(CultureInfo.InvariantCulture), skipInputValidation: true); break;
            case UInt128 u128: writer.WriteRawValue(u128.ToString(CultureInfo.InvariantCulture), skipInputValidation: true); break;
            case DateOnly d: WriteDate(writer, d.ToDateTime(TimeOnly.MinValue)); break;
#endif
            default: throw new InvalidOperationException("Unreachable: the value was validated as a supported type.");
        }
    }

    /// <summary>Writes <c>yyyy-MM-dd HH:mm:ss</c> as UTF-8 digits, without a formatted string per value.</summary>
    private static void WriteDate(Utf8JsonWriter writer, DateTime value)
    {
        Span<byte> text = stackalloc byte[DateLength];
        FormatDate(text, value);
        writer.WriteStringValue(text);
    }

    /// <summary>Formats <c>yyyy-MM-dd HH:mm:ss</c> into <paramref name="text"/> (<see cref="DateLength"/> bytes).</summary>
    internal static void FormatDate(Span<byte> text, DateTime value)
    {
        WriteDigits(text.Slice(0, 4), value.Year);
        text[4] = (byte)'-';
        WriteDigits(text.Slice(5, 2), value.Month);
        text[7] = (byte)'-';
        WriteDigits(text.Slice(8, 2), value.Day);
        text[10] = (byte)' ';
        WriteDigits(text.Slice(11, 2), value.Hour);
        text[13] = (byte)':';
        WriteDigits(text.Slice(14, 2), value.Minute);
        text[16] = (byte)':';
        WriteDigits(text.Slice(17, 2), value.Second);
    }

    private static void WriteDigits(Span<byte> destination, int value)
    {
        for (var i = destination.Length - 1; i >= 0; i--)
        {
            destination[i] = (byte)('0' + (value % 10));
            value /= 10;
        }
    }

#if !NET8_0_OR_GREATER
    private static readonly string[] Precisions = [.. Enumerable.Range(0, 18).Select(static p => "G" + p.ToString(CultureInfo.InvariantCulture))];

    /// <summary>
    /// Gets the shortest text that reads back as <paramref name="value"/> (finite, as validated), as .NET Core 3.0 and
    /// later write it: .NET Framework's <c>R</c> tries 15 digits, else 17, and on 64-bit does not round-trip every
    /// value. A normal double with a shorter form than 15 digits has it as its 15-digit form (any decimal of up to 15
    /// digits reads back as itself), so the search starts there; a subnormal one (fewer digits of precision) at 1.
    /// </summary>
    internal static string ShortestText(double value)
    {
        if (value == 0)
        {
            // .NET Framework formats a negative zero as "0"; .NET Core 3.0 and later (the net8.0 build) as "-0".
            return BitConverter.DoubleToInt64Bits(value) < 0 ? "-0" : "0";
        }

        for (var digits = Math.Abs(value) >= 2.2250738585072014E-308 || value == 0 ? 15 : 1; ; digits++)
        {
            var text = value.ToString(Precisions[digits], CultureInfo.InvariantCulture);
            if (digits == 17 || double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture) == value)
            {
                return Positional(text, DoubleRoundTripDigits);
            }
        }
    }

    /// <inheritdoc cref="ShortestText(double)"/>
    /// <remarks>The same for a float: 6 digits always read back, 9 are always enough.</remarks>
    internal static string ShortestText(float value)
    {
        if (value == 0)
        {
            return ShortestText((double)value);
        }

        for (var digits = Math.Abs(value) >= 1.17549435E-38f || value == 0 ? 6 : 1; ; digits++)
        {
            var text = value.ToString(Precisions[digits], CultureInfo.InvariantCulture);
            if (digits == 9 || float.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture) == value)
            {
                return Positional(text, SingleRoundTripDigits);
            }
        }
    }

    private const int DoubleRoundTripDigits = 17;
    private const int SingleRoundTripDigits = 9;

    /// <summary>
    /// Writes <paramref name="text"/> (<c>G</c>-formatted) in the notation .NET writes the shortest form in: positional
    /// up to the type's round-trip digits (17 for a double, 9 for a float), so <c>1E+16</c> as <c>10000000000000000</c> and
    /// <c>1E+08</c> (a float) as <c>100000000</c>, where <c>G15</c> or <c>G6</c> switch to an exponent after 15 or 6
    /// digits. (Small numbers switch at the same point, below 1E-04, in both.)
    /// </summary>
    private static string Positional(string text, int roundTripDigits)
    {
        var e = text.IndexOf('E');
        if (e < 0 || text[e + 1] != '+')
        {
            return text;
        }

        var exponent = int.Parse(text.Substring(e + 2), NumberStyles.None, CultureInfo.InvariantCulture);
        if (exponent >= roundTripDigits)
        {
            return text;
        }

        // G switches to an exponent only when the digits end before the point, so the result is an integer: the digits,
        // then zeros.
        var sign = text[0] == '-' ? 1 : 0;
        var digits = new StringBuilder(exponent + 2).Append(text, 0, e);
        var point = text.IndexOf('.');
        if (point >= 0)
        {
            digits.Remove(point, 1);
        }

        return digits.Append('0', exponent + 1 - (digits.Length - sign)).ToString();
    }
#endif

    // Local times are converted; unspecified times are taken as UTC, so a value means the same on every machine.
    internal static DateTime ToUtc(DateTime value) => value.Kind switch
    {
        DateTimeKind.Local => value.ToUniversalTime(),
        DateTimeKind.Unspecified => DateTime.SpecifyKind(value, DateTimeKind.Utc),
        _ => value,
    };
}
