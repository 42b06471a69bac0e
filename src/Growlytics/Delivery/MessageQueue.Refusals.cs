using GrowlyticsSdk.Diagnostics;
using GrowlyticsSdk.Messages;

namespace GrowlyticsSdk.Delivery;

/// <summary>The queue's refusals: shutdown, opt-out and a refused key each stop new messages until lifted.</summary>
internal sealed partial class MessageQueue
{
    // A bit per reason new messages are refused for (Shutdown after Complete, OptedOut while opted out, Unauthorized after
    // a 401/403); several can hold at once, and the strongest (see Strongest) is the one counted.
    private volatile int _refusal;

    // Refusals made ever, and the latest one's reason: a waiting call is dropped by one lifted before it woke.
    private int _refusals;
    private int _lastRefusal;

    /// <summary>
    /// Gets or sets what runs when a message was added after <see cref="Complete"/>: a call that passed the refusal check
    /// just before it, and may have added its message after shutdown's last sweep of memory.
    /// </summary>
    public Action? AddedAfterComplete { get; set; }

    /// <summary>Gets a value indicating whether <see cref="Complete"/> was called: the queue accepts nothing more.</summary>
    public bool IsCompleted => (_refusal & (1 << (int)DropReason.Shutdown)) != 0;

    /// <summary>Stops accepting: later messages are counted as dropped (<see cref="DropReason.Shutdown"/>).</summary>
    public void Complete() => Refuse(DropReason.Shutdown);

    /// <summary>
    /// Refuses later messages with <paramref name="reason"/> until <see cref="Accept"/>; what is queued stays. While
    /// several reasons hold, a refused message is counted under the strongest: shutdown, then opt-out, then the others.
    /// </summary>
    public void Refuse(DropReason reason)
    {
        var bit = 1 << (int)reason;
        int current;
        while (((current = _refusal) & bit) == 0 && Interlocked.CompareExchange(ref _refusal, current | bit, current) != current)
        {
        }

        Volatile.Write(ref _lastRefusal, (int)reason);
        Interlocked.Increment(ref _refusals);
        _room.Pulse();
    }

    private bool RefusedSince(int refusals) => _refusal != Open || Volatile.Read(ref _refusals) != refusals;

    /// <summary>Stops refusing for <paramref name="reason"/> (never after <see cref="Complete"/>); other reasons still hold.</summary>
    public void Accept(DropReason reason)
    {
        if (reason == DropReason.Shutdown)
        {
            return;
        }

        var bit = 1 << (int)reason;
        int current;
        while (((current = _refusal) & bit) != 0 && Interlocked.CompareExchange(ref _refusal, current & ~bit, current) != current)
        {
        }
    }

    /// <summary>Counts a call that was refused before it became a message (accepted and dropped at once, as a refused message is).</summary>
    public void CountRefused(DropReason reason, int calls)
    {
        _counters.AddEnqueued(calls);
        Refused(reason, calls);
    }

    private static DropReason? Strongest(int refusal) => refusal switch
    {
        Open => null,
        _ when (refusal & (1 << (int)DropReason.Shutdown)) != 0 => DropReason.Shutdown,
        _ when (refusal & (1 << (int)DropReason.OptedOut)) != 0 => DropReason.OptedOut,
        _ => (DropReason)TrailingZeros(refusal),
    };

    private static int TrailingZeros(int value)
    {
        var count = 0;
        while ((value & 1) == 0)
        {
            value >>= 1;
            count++;
        }

        return count;
    }

    /// <summary>
    /// Gives the message of a call that was not queued (refused, dropped for a full queue, cancelled while it waited for
    /// room) back to the calls' pool: nothing else refers to it, and left to the collector it would be one message fewer
    /// for later calls (a job whose <c>UpdateAsync</c> calls are cancelled, a burst past a full queue). A message the pool
    /// did not make (a REST login's upsert) is left as it is. The oldest message dropped for a new one
    /// (<see cref="QueueOverflowPolicy.DropOldest"/>) goes back likewise (see <c>TryDropOldest</c>).
    /// </summary>
    private void NotQueued(UserMessage message) => _pool.Return(message);

    private void Refused(DropReason reason, int calls)
    {
        _counters.AddDroppedInBulk(reason, calls);

        // Opting out is the user's choice, not a fault: counted, not logged per call.
        // Counted in calls, as the statistics count them (a REST login carries the pushes held for it).
        if (reason != DropReason.OptedOut && _refusedReports[(int)reason].TryReport(calls, out var count))
        {
            Log.Refused(_logger, count, reason);
        }
    }
}
