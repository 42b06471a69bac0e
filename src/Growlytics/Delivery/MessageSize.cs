using GrowlyticsSdk.Messages;

namespace GrowlyticsSdk.Delivery;

/// <summary>
/// A cheap estimate of a message's JSON size, taken on the caller's thread so the queue can wake the delivery
/// loop at about <see cref="GrowlyticsOptions.MaxBatchBytes"/> without serializing anything there. It counts
/// characters, not UTF-8 bytes: the trigger is approximate, the split at send time is exact.
/// </summary>
internal static class MessageSize
{
    // type, messageId, eventTimestamp, property names and punctuation of one message.
    private const int MessageOverhead = 128;

    // {"name":,"type":"boolean","value":} and quotes.
    private const int AttributeOverhead = 40;

    // A number, boolean or date written as JSON (dates are 21 characters, most numbers fewer).
    private const int ScalarValue = 24;

    public static int Estimate(UserMessage message)
    {
        var size = MessageOverhead + (message.AnonymousId?.Length ?? 4) + (message.UserId?.Length ?? 4);
        foreach (var attribute in message.Attributes)
        {
            size += AttributeOverhead + attribute.Name.Length + (attribute.Value is string text ? text.Length : ScalarValue);
        }

        return size;
    }
}
