using GrowlyticsSdk.Validation;

namespace GrowlyticsSdk.Messages;

/// <summary>
/// One accepted call, unchanged from the moment it is created on the caller's thread until it is delivered. A message made
/// by the <see cref="MessagePool"/> (<see cref="Pooled"/>) then goes back to it and carries a later call, made as new. A
/// message restored from storage is a <see cref="RestoredUserMessage"/>, which keeps the id a previous run gave it: this
/// run's messages, the ones that wait in memory by the thousand, have no field for it.
/// </summary>
internal class UserMessage
{
    // Milliseconds from 0001-01-01 to 1970-01-01.
    private const long UnixEpochMilliseconds = 62_135_596_800_000;

    // Set while a pooled message waits in the pool (see Forget).
    private bool _forgotten;

    // The timestamp's UTC ticks (the wire and storage carry only the instant).
    private long _utcTicks;

    public UserMessage(MessageType type, long sequence, DateTimeOffset timestamp, string? anonymousId, string? userId, UserAttribute[] attributes, int calls = 1, bool pooled = false)
    {
        Pooled = pooled;
        Reset(type, sequence, timestamp, anonymousId, userId, attributes);
        Calls = calls;
    }

    public MessageType Type { get; private set; }

    /// <summary>Gets the process-wide sequence number that, with the process prefix, makes the message id.</summary>
    public long Sequence { get; private set; }

    /// <summary>Gets the unique id the collector uses to de-duplicate retries.</summary>
    public string MessageId => RestoredMessageId ?? MessageIds.Format(Sequence);

    /// <summary>Gets the id a previous run gave the message (restored from storage), or <see langword="null"/> for this run's messages.</summary>
    public string? RestoredMessageId => (this as RestoredUserMessage)?.Id;

    /// <summary>Gets when the call was made, in UTC (kept as ticks: 8 bytes instead of a <see cref="DateTimeOffset"/>'s 16, in every queued message).</summary>
    public DateTimeOffset Timestamp => new(_utcTicks, TimeSpan.Zero);

    /// <summary>Gets <see cref="Timestamp"/> as <see cref="DateTimeOffset.ToUnixTimeMilliseconds"/> gives it, without making the <see cref="DateTimeOffset"/>: what the wire and storage carry.</summary>
    public long UnixTimeMilliseconds => (_utcTicks / TimeSpan.TicksPerMillisecond) - UnixEpochMilliseconds;

    /// <summary>Gets the session's anonymous id, or <see langword="null"/> for a stateless customer update.</summary>
    public string? AnonymousId { get; private set; }

    public string? UserId { get; private set; }

    public UserAttribute[] Attributes { get; private set; } = [];

    /// <summary>
    /// Gets how many accepted calls this message settles: 1, or more when it carries attributes that earlier calls
    /// left held with the session (REST: anonymous pushes sent with the login). Delivered and dropped count this many.
    /// </summary>
    public int Calls { get; private set; }

    /// <summary>Gets the estimated memory the message holds, or 0 until it is measured (see <c>MessageSize</c>).</summary>
    public int EstimatedBytes { get; private set; }

    /// <summary>Gets the estimated size of the message's JSON, or 0 until it is measured.</summary>
    public int EstimatedJsonBytes { get; private set; }

    /// <summary>
    /// Gets or sets a value indicating whether its call waits for room rather than drop (<c>Customers.UpdateAsync</c>): with
    /// storage, the writer holds such a message while the folder has no room for it, instead of dropping older stored ones.
    /// Set by the queue before the message is in it.
    /// </summary>
    public bool Awaited { get; set; }

    /// <summary>Gets a value indicating whether the <see cref="MessagePool"/> made it, and takes it back once it is delivered.</summary>
    public bool Pooled { get; }

    /// <summary>Makes a pooled message carry a new call (one call, not yet measured): only the pool, on a message it took back.</summary>
    public void Reset(MessageType type, long sequence, DateTimeOffset timestamp, string? anonymousId, string? userId, UserAttribute[] attributes)
    {
        Type = type;
        Sequence = sequence;
        _utcTicks = timestamp.UtcTicks;
        AnonymousId = anonymousId;
        UserId = userId;
        Attributes = attributes;
        Calls = 1;
        EstimatedBytes = 0;
        EstimatedJsonBytes = 0;
        Awaited = false;
        _forgotten = false;
    }

    /// <summary>
    /// Lets go of the ids and attributes of a delivered message while it waits in the pool, so nothing a user sent stays
    /// reachable from it.
    /// </summary>
    /// <returns><see langword="false"/> when it was forgotten already (and not made to carry a call since).</returns>
    public bool Forget()
    {
        if (_forgotten)
        {
            return false;
        }

        _forgotten = true;
        AnonymousId = null;
        UserId = null;
        Attributes = [];
        return true;
    }

    /// <summary>Records the estimates; done once, before the message is handed to another thread.</summary>
    public void SetEstimates(int bytes, int jsonBytes)
    {
        EstimatedJsonBytes = jsonBytes;
        EstimatedBytes = bytes;
    }
}

/// <summary>A message restored from storage: it keeps the id a previous run gave it, so the collector can tell a resend.</summary>
internal sealed class RestoredUserMessage(MessageType type, long sequence, DateTimeOffset timestamp, string? anonymousId, string? userId, UserAttribute[] attributes, int calls, string messageId)
    : UserMessage(type, sequence, timestamp, anonymousId, userId, attributes, calls)
{
    /// <summary>Gets the id the message was stored with.</summary>
    public string Id { get; } = messageId;
}
