using System.Collections.ObjectModel;

namespace GrowlyticsSdk;

/// <summary>
/// A snapshot of a client's delivery figures: <see cref="Enqueued"/> = <see cref="Delivered"/> + <see cref="Dropped"/>
/// + <see cref="Pending"/>, also in a snapshot taken while calls are made and messages are sent (see
/// <see cref="GrowlyticsClient.Statistics"/> for the one exception: a thread paused between two steps of a call).
/// </summary>
public sealed class GrowlyticsStatistics
{
    internal GrowlyticsStatistics(
        long enqueued,
        long delivered,
        long retried,
        long batchesSent,
        long pending,
        long invalidInputs,
        long restored,
        long corruptRecords,
        ReadOnlyDictionary<DropReason, long> droppedByReason,
        long queuedBytes = 0)
    {
        Enqueued = enqueued;
        Delivered = delivered;
        Retried = retried;
        BatchesSent = batchesSent;
        Pending = pending;
        InvalidInputs = invalidInputs;
        Restored = restored;
        CorruptRecords = corruptRecords;
        // Read-only, so a caller who casts it cannot make its snapshot disagree with Dropped.
        DroppedByReason = droppedByReason;
        Dropped = droppedByReason.Values.Sum();
        QueuedBytes = queuedBytes;
    }

    /// <summary>
    /// Gets the number of messages accepted from calls (including those then dropped because the queue was full),
    /// plus those restored from storage at start (<see cref="Restored"/>).
    /// </summary>
    public long Enqueued { get; }

    /// <summary>Gets the number of messages the service accepted.</summary>
    public long Delivered { get; }

    /// <summary>Gets the number of messages dropped, all reasons together.</summary>
    public long Dropped { get; }

    /// <summary>Gets the number of messages dropped, by reason (every reason present, zero included).</summary>
    public IReadOnlyDictionary<DropReason, long> DroppedByReason { get; }

    /// <summary>
    /// Gets the number of messages queued, in flight, or kept in storage waiting to be sent, and (with
    /// <see cref="GrowlyticsProtocol.Rest"/>) of the anonymous pushes held for a login, which are sent with it.
    /// </summary>
    public long Pending { get; }

    /// <summary>
    /// Gets the number of HTTP attempts that failed and were followed by a retry on the wire. An attempt the open circuit
    /// breaker refused before it reached the wire is not counted (nor is it one of the batch's
    /// <see cref="GrowlyticsOptions.MaxRetryAttempts"/>), nor a failed attempt whose retry never went out because the
    /// batch's <see cref="GrowlyticsOptions.RetryBudget"/> ran out or the client shut down while it waited.
    /// </summary>
    public long Retried { get; }

    /// <summary>
    /// Gets the number of requests the service accepted (with <see cref="GrowlyticsProtocol.Rest"/>, one per customer
    /// update). A <c>2xx</c> answer whose body says nothing was taken is not counted.
    /// </summary>
    public long BatchesSent { get; }

    /// <summary>Gets the number of calls dropped for invalid input under <see cref="InvalidInputHandling.Drop"/>. These never became messages.</summary>
    public long InvalidInputs { get; }

    /// <summary>
    /// Gets the number of undelivered messages a previous run left in storage, found at start, and of the pushes it held for
    /// a login in the session file (<see cref="GrowlyticsProtocol.Rest"/>), restored at start (included in <see cref="Enqueued"/>).
    /// </summary>
    public long Restored { get; }

    /// <summary>
    /// Gets the number of damaged places skipped in storage: torn or flipped records, unreadable or foreign files,
    /// files of a newer format. Damage found before a message was counted is not a message, so it is not in <see cref="Dropped"/>.
    /// </summary>
    public long CorruptRecords { get; }

    /// <summary>
    /// Gets the memory, in bytes as the SDK estimates it, that counts toward <see cref="GrowlyticsOptions.MaxQueueBytes"/>:
    /// the messages queued in memory (each with its JSON), and what the bodies of the requests on their way that carry
    /// messages from memory take beyond their messages' JSON (ids and attribute names outside ASCII, code points Unicode
    /// has not assigned). Calls are refused for room (<see cref="DropReason.QueueFull"/>, or an awaited update waits)
    /// while it would go past the bound, so it stays within it, except for a single message larger than the bound
    /// (accepted alone in an empty queue) and a body whose ids or names take more in JSON than its messages counted. Read at the snapshot, after the other figures: it is not
    /// part of their balance.
    /// </summary>
    public long QueuedBytes { get; }
}
