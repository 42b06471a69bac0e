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
/// <see cref="GrowlyticsOptions.MaxQueueBytes"/>; never undercounts a large value. The JSON is counted by characters: a
/// request's body that takes more (text outside ASCII, escaped characters) counts the difference itself (see
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
    /// Gets a cheap estimate of the message's JSON size in a request (characters, not UTF-8 bytes; at least what the
    /// protocols write for ASCII text), so the dispatcher is woken at about a request's worth of bytes without serializing
    /// anything on the caller's thread (the split is exact), and a request's body is counted toward the bound only beyond
    /// what its messages' estimates hold for it. Part of <see cref="Estimate"/>.
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

    // The characters a value takes in JSON at most: a string with its quotes, a number as written (a big one by its
    // digits and sign), a 64-bit integer or a boolean at its longest, and the longest of the others (a 128-bit integer; a
    // date takes 21, a double 24, a decimal 31).
    private static long JsonValueLength(object value) => value switch
    {
        string text => text.Length + 2,
        int or long => 20,
        bool => 5,
        NumberText number => number.Text.Length,
        BigInteger big => big.IsZero ? 1 : 2 + (long)Math.Ceiling(BigInteger.Log10(BigInteger.Abs(big))),
        _ => 40,
    };
}
