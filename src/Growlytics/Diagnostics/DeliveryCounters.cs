using System.Collections.ObjectModel;

namespace GrowlyticsSdk.Diagnostics;

/// <summary>The live counters behind <see cref="GrowlyticsStatistics"/> and the <c>Growlytics</c> meter.</summary>
internal sealed class DeliveryCounters
{
    private static readonly DropReason[] Reasons =
    [
        DropReason.QueueFull, DropReason.RetriesExhausted, DropReason.Rejected, DropReason.TooLarge, DropReason.Unauthorized, DropReason.Shutdown,
        DropReason.InternalError,
        DropReason.StorageFull, DropReason.Expired, DropReason.Corrupted,
        DropReason.AnonymousExpired, DropReason.NotSupported, DropReason.OptedOut,
    ];
    /// <summary>
    /// How many times <see cref="Snapshot"/> reads the figures before it returns them unbalanced (after spinning, the
    /// rest after yielding the core: a thread preempted between two steps runs again only when this one leaves it).
    /// </summary>
    internal const int SnapshotAttempts = 65_536;

    private readonly long[] _dropped = new long[Reasons.Length];
    private long _enqueued;
    private long _delivered;
    private long _retried;
    private long _batchesSent;
    private long _invalidInputs;
    private long _restored;
    private long _corruptRecords;
    private long _held;

    /// <summary>
    /// Gets the accepted calls: those queued (counted by the queue) and the anonymous pushes held for a login (counted when
    /// held). Never goes back.
    /// </summary>
    public long Enqueued => Volatile.Read(ref _enqueued);

    /// <summary>
    /// Gets the anonymous pushes (REST) held with their session for its login: accepted and pending, but in no message
    /// yet. The message that carries them is queued without counting them again, and <see cref="ReleaseHeld"/> takes them
    /// out of here.
    /// </summary>
    public long Held => Volatile.Read(ref _held);

    public long Delivered => Volatile.Read(ref _delivered);

    public long Retried => Volatile.Read(ref _retried);

    public long BatchesSent => Volatile.Read(ref _batchesSent);

    public long InvalidInputs => Volatile.Read(ref _invalidInputs);

    public long Restored => Volatile.Read(ref _restored);

    public long CorruptRecords => Volatile.Read(ref _corruptRecords);

    public static IReadOnlyList<DropReason> AllReasons => Reasons;

    public void AddEnqueued(int calls = 1) => Interlocked.Add(ref _enqueued, calls);

    public void AddDelivered(long count) => Interlocked.Add(ref _delivered, count);

    public void AddRequest() => Interlocked.Increment(ref _batchesSent);

    /// <summary>Counts messages a previous run left in storage; they join <see cref="Enqueued"/> so the invariant holds.</summary>
    public void AddRestored(long count)
    {
        // Enqueued first: a snapshot reads Restored before Enqueued, so it never shows more restored than accepted.
        Interlocked.Add(ref _enqueued, count);
        Interlocked.Add(ref _restored, count);
    }

    /// <summary>Counts pushes now held for a login (a push, or held attributes restored from the session file): accepted, and pending.</summary>
    public void AddHeld(long count)
    {
        Interlocked.Add(ref _enqueued, count);
        Interlocked.Add(ref _held, count);
    }

    /// <summary>
    /// Counts pushes a previous run held for a login, restored from the session file at start: accepted then, so restored
    /// (see <see cref="AddRestored"/>), and held now.
    /// </summary>
    public void AddHeldRestored(long count)
    {
        // Enqueued first: a snapshot reads Restored before Enqueued.
        Interlocked.Add(ref _enqueued, count);
        Interlocked.Add(ref _restored, count);
        Interlocked.Add(ref _held, count);
    }

    /// <summary>Takes held pushes out of <see cref="Held"/> once the message carrying them was queued.</summary>
    public void ReleaseHeld(long count) => Interlocked.Add(ref _held, -count);

    /// <summary>Counts held pushes that will never be sent as dropped: they stay accepted, and leave pending.</summary>
    public void DropHeld(long count, DropReason reason)
    {
        Interlocked.Add(ref _dropped[(int)reason], count);
        Interlocked.Add(ref _held, -count);
    }

    /// <summary>Counts held pushes dropped where no event of their own is raised, and reports them (see <see cref="AddDroppedInBulk"/>).</summary>
    public void DropHeldInBulk(long count, DropReason reason)
    {
        DropHeld(count, reason);
        BulkReports?.Add(reason, count);
    }

    public void AddCorrupt(long count) => Interlocked.Add(ref _corruptRecords, count);

    public void AddRetry() => Interlocked.Increment(ref _retried);

    public void AddInvalidInput() => Interlocked.Increment(ref _invalidInputs);

    public void AddDropped(DropReason reason, long count) => Interlocked.Add(ref _dropped[(int)reason], count);

    /// <summary>Gets or sets where drops without an event of their own are reported (see <see cref="AddDroppedInBulk"/>).</summary>
    public BulkDropReports? BulkReports { get; set; }

    /// <summary>
    /// Counts calls dropped where no per-message event is raised (refused at the call, a full queue, storage limits, damaged
    /// records): they are reported through <see cref="BulkReports"/>, summed per reason.
    /// </summary>
    public void AddDroppedInBulk(DropReason reason, long count)
    {
        AddDropped(reason, count);
        BulkReports?.Add(reason, count);
    }

    public long GetDropped(DropReason reason) => Volatile.Read(ref _dropped[(int)reason]);

    /// <summary>
    /// Takes a snapshot in which enqueued = delivered + dropped + pending. <paramref name="enginePending"/> gives the
    /// engine's pending figure, to which the held pushes are added.
    /// </summary>
    /// <remarks>
    /// Each figure is its own counter, and a message moves between two of them in two steps (counted delivered, then no
    /// longer pending in its source; counted accepted, then queued): read in between, it shows in both or in neither.
    /// Such a moment lasts nanoseconds, or as long as the thread is preempted there, so a snapshot that does not balance
    /// is taken again, up to <see cref="SnapshotAttempts"/> times, spinning and yielding the core between reads (never
    /// sleeping); then it is returned as it is, so a counting fault still shows, and so does a thread paused between two
    /// steps for longer than that.
    /// </remarks>
    /// <param name="enginePending">Gives the engine's pending figure.</param>
    /// <param name="attempts">
    /// The most reads (<see cref="SnapshotAttempts"/>); a test of the bound passes fewer: on a busy machine each yield can
    /// cost a scheduler slice, and 65,536 of them minutes.
    /// </param>
    /// <param name="queuedBytes">What counts toward <see cref="GrowlyticsOptions.MaxQueueBytes"/> (none when not given).</param>
    public GrowlyticsStatistics Snapshot(Func<long> enginePending, int attempts = SnapshotAttempts, Func<long>? queuedBytes = null)
    {
        long enqueued, delivered, dropped, pending, restored;
        var byReason = new long[Reasons.Length];
        var attempt = 0;
        while (true)
        {
            restored = Restored;
            pending = enginePending() + Held;
            enqueued = Enqueued;
            delivered = Delivered;
            dropped = 0;
            for (var i = 0; i < Reasons.Length; i++)
            {
                byReason[i] = GetDropped(Reasons[i]);
                dropped += byReason[i];
            }

            if (enqueued == delivered + dropped + pending || ++attempt >= attempts)
            {
                break;
            }

            // Spins at first (another thread is between two adjacent steps), then yields the core: a thread preempted
            // between its two steps runs again only when this one leaves it.
            if (attempt < 8)
            {
                Thread.SpinWait(1 << attempt);
            }
            else
            {
                Thread.Yield();
            }
        }

        var reasons = new Dictionary<DropReason, long>(Reasons.Length);
        for (var i = 0; i < Reasons.Length; i++)
        {
            reasons[Reasons[i]] = byReason[i];
        }

        return new GrowlyticsStatistics(enqueued, delivered, Retried, BatchesSent, pending, InvalidInputs, restored, CorruptRecords, new ReadOnlyDictionary<DropReason, long>(reasons), queuedBytes?.Invoke() ?? 0);
    }
}
