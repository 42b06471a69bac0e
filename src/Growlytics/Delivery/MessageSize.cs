#if NET8_0_OR_GREATER
using System.Buffers;
#endif
using System.Numerics;
using GrowlyticsSdk.Messages;
using GrowlyticsSdk.Serialization;

namespace GrowlyticsSdk.Delivery;

/// <summary>
/// An estimate, taken on the caller's thread, of the memory a queued message holds from its call until it is settled: the
/// message object, its attribute array, the values it boxes or carries (string values by length, big numbers by size), the
/// envelope that carries it from the moment it is read for sending (a message may wait in it for long, behind its user's
/// retried requests), and its wire form (its JSON, in its request's body or in a copy of its own). Ids and attribute names
/// are usually shared between messages and are counted only by their length, so a 3-attribute update comes to about
/// 650-750 bytes, of which its own objects take about 160, its envelope about 100 and its JSON about 300. Bounds
/// <see cref="GrowlyticsOptions.MaxQueueBytes"/>; never undercounts a large value. String values are counted by what
/// the writer writes (<see cref="JsonStringLength"/>), ids and names by their characters: a request's body that takes
/// more (an id or a name outside ASCII, a code point Unicode has not assigned) counts the difference itself (see
/// <see cref="Dispatcher"/>'s request bytes).
/// </summary>
internal static class MessageSize
{
    // Object header, method table and fields of a UserMessage, plus the attribute array's header and length.
    private const int MessageOverhead = 96;

    // The Envelope object, and its slot in its partition.
    private const int EnvelopeOverhead = 104;

    // A message's JSON without its attributes (the batch protocol's, the longer: type, message id, timestamp, id names and
    // their quotes, separators: 149 at most), and one attribute's without its name and value
    // ({"name":"","type":"boolean","value":}, and a comma: 41).
    private const int JsonOverhead = 160;
    private const int JsonAttributeOverhead = 44;

    /// <summary>Gets the estimated memory the message holds (measured once, with <see cref="EstimateJson"/>).</summary>
    public static int Estimate(UserMessage message)
    {
        if (message.EstimatedBytes == 0)
        {
            Measure(message);
        }

        return message.EstimatedBytes;
    }

    /// <summary>
    /// Gets a cheap estimate of the message's JSON size in a request (at least what the protocols write, but for ids
    /// and names outside ASCII, counted by their characters), so the dispatcher is woken at about a request's worth of
    /// bytes without serializing anything on the caller's thread (the split is exact), and a request's body is counted
    /// toward the bound only beyond what its messages' estimates hold for it. Part of <see cref="Estimate"/>.
    /// </summary>
    public static int EstimateJson(UserMessage message)
    {
        if (message.EstimatedBytes == 0)
        {
            Measure(message);
        }

        return message.EstimatedJsonBytes;
    }

    // One pass over the attributes for both figures; a message is measured once, on the thread that queues it.
    private static void Measure(UserMessage message)
    {
        long size = MessageOverhead + EnvelopeOverhead + (2L * ((message.AnonymousId?.Length ?? 0) + (message.UserId?.Length ?? 0)));
        long json = JsonOverhead + (message.AnonymousId?.Length ?? 4) + (message.UserId?.Length ?? 4);
        foreach (var attribute in message.Attributes)
        {
            size += attribute.EstimatedBytes;
            json += JsonAttributeOverhead + attribute.Name.Length + JsonValueLength(attribute.Value);
        }

        // Its wire form is held from the moment it is written until it is settled: counted from the call.
        size += json;
        message.SetEstimates((int)Math.Min(size, int.MaxValue), (int)Math.Min(json, int.MaxValue));
    }

#if NET8_0_OR_GREATER
    // What the writer's encoder (UnsafeRelaxedJsonEscaping) writes as one byte: printable ASCII but the quote and the
    // backslash.
    private static readonly SearchValues<char> OneByteInJson =
        SearchValues.Create(" !#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[]^_`abcdefghijklmnopqrstuvwxyz{|}~");
#endif

    /// <summary>
    /// Gets the bytes <paramref name="text"/> takes as a JSON string, quotes included, as the SDK's writer writes it: one
    /// byte for printable ASCII (found with one vectorised search on .NET 8+), two for the quote, the backslash and the
    /// controls JSON writes as <c>\n</c> and the like, and for other text what UTF-8 takes, or six bytes where the encoder
    /// writes an escape (the other controls, U+007F-U+00A0, the spaces and the line and paragraph separators, the byte
    /// order mark, private use, and each half of a surrogate pair). Exact for every assigned character; a code point
    /// Unicode has not assigned may take more (the body counts the difference).
    /// </summary>
    internal static long JsonStringLength(string text)
    {
#if NET8_0_OR_GREATER
        var i = text.AsSpan().IndexOfAnyExcept(OneByteInJson);
        if (i < 0)
        {
            return text.Length + 2L;
        }
#else
        var i = 0;
#endif
        long length = 2L + i;
        for (; i < text.Length; i++)
        {
            length += JsonCharLength(text[i]);
        }

        return length;
    }

    private static int JsonCharLength(char c) => c switch
    {
        '\b' or '\t' or '\n' or '\f' or '\r' or '"' or '\\' => 2,
        < ' ' => 6,
        < '\u007F' => 1,
        <= '\u00A0' => 6,
        < '\u0800' => 2,
        '\u1680' or '\u3000' or '\uFEFF' => 6,

        // General punctuation: its spaces, the line and paragraph separators and its one unassigned code point are escaped;
        // the rest (dashes, curly quotes, the ellipsis, zero-width and direction marks) is written as UTF-8's three bytes.
        >= '\u2000' and <= '\u200A' or '\u2028' or '\u2029' or '\u202F' or '\u205F' or '\u2065' => 6,
        >= '\uD800' and <= '\uF8FF' => 6,
        _ => 3,
    };

    // The characters a value takes in JSON at most: a string with its quotes, a number as written (a big one by its
    // digits and sign), a 64-bit integer or a boolean at its longest, and the longest of the others (a 128-bit integer; a
    // date takes 21, a double 24, a decimal 31).
    private static long JsonValueLength(object value) => value switch
    {
        string text => JsonStringLength(text),
        int or long => 20,
        bool => 5,
        NumberText number => number.Text.Length,
        BigInteger big => big.IsZero ? 1 : 2 + (long)Math.Ceiling(BigInteger.Log10(BigInteger.Abs(big))),
        _ => 40,
    };
}
