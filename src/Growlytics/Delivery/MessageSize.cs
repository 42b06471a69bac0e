using GrowlyticsSdk.Messages;

namespace GrowlyticsSdk.Delivery;

/// <summary>
/// An estimate, taken on the caller's thread, of the memory a queued message holds: the message object, its
/// attribute array, the values it boxes or carries (string values by length, big numbers by size), and the envelope
/// that carries it from the moment it is read for sending until it is settled (a message may wait in it for long,
/// behind its user's retried requests). Ids and attribute names are usually shared between messages and are counted
/// only by their length, so a 3-attribute update comes to about 400-500 bytes, of which its own objects take about 160
/// and its envelope about 100. Bounds <see cref="GrowlyticsOptions.MaxQueueBytes"/>; never undercounts a large value.
/// </summary>
internal static class MessageSize
{
    // Object header, method table and fields of a UserMessage, plus the attribute array's header and length.
    private const int MessageOverhead = 96;

    // The Envelope object, and its slot in its partition.
    private const int EnvelopeOverhead = 104;

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
    /// Gets a cheap estimate of the message's JSON size in a batch (characters, not UTF-8 bytes), so the dispatcher is
    /// woken at about a request's worth of bytes without serializing anything on the caller's thread; the split is exact.
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
        long json = 128 + (message.AnonymousId?.Length ?? 4) + (message.UserId?.Length ?? 4);
        foreach (var attribute in message.Attributes)
        {
            size += attribute.EstimatedBytes;
            json += 40 + attribute.Name.Length + (attribute.Value is string text ? text.Length : 24);
        }

        message.SetEstimates((int)Math.Min(size, int.MaxValue), (int)Math.Min(json, int.MaxValue));
    }
}
