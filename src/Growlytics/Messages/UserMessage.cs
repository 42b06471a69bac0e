using GrowlyticsSdk.Validation;

namespace GrowlyticsSdk.Messages;

/// <summary>One accepted call, immutable from the moment it is created on the caller's thread.</summary>
internal sealed class UserMessage
{
    public UserMessage(MessageType type, long sequence, DateTimeOffset timestamp, string anonymousId, string? userId, UserAttribute[] attributes)
    {
        Type = type;
        Sequence = sequence;
        Timestamp = timestamp;
        AnonymousId = anonymousId;
        UserId = userId;
        Attributes = attributes;
    }

    public MessageType Type { get; }

    /// <summary>Gets the process-wide sequence number that, with the process prefix, makes the message id.</summary>
    public long Sequence { get; }

    /// <summary>Gets the unique id the collector uses to de-duplicate retries.</summary>
    public string MessageId => MessageIds.Format(Sequence);

    public DateTimeOffset Timestamp { get; }

    public string AnonymousId { get; }

    public string? UserId { get; }

    public UserAttribute[] Attributes { get; }
}
