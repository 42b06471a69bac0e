namespace GrowlyticsSdk.Diagnostics;

/// <summary>The live counters behind <see cref="GrowlyticsStatistics"/> and the <c>Growlytics</c> meter.</summary>
internal sealed class DeliveryCounters
{
    private static readonly DropReason[] Reasons =
    [
        DropReason.QueueFull, DropReason.RetriesExhausted, DropReason.Rejected, DropReason.TooLarge, DropReason.Unauthorized, DropReason.Shutdown,
        DropReason.InternalError,
        DropReason.StorageFull, DropReason.Expired, DropReason.Corrupted,
    ];
    private readonly long[] _dropped = new long[Reasons.Length];
    private long _enqueued;
    private long _delivered;
    private long _retried;
    private long _batchesSent;
    private long _invalidInputs;
    private long _restored;
    private long _corruptRecords;

    public long Enqueued => Volatile.Read(ref _enqueued);

    public long Delivered => Volatile.Read(ref _delivered);

    public long Retried => Volatile.Read(ref _retried);

    public long BatchesSent => Volatile.Read(ref _batchesSent);

    public long InvalidInputs => Volatile.Read(ref _invalidInputs);

    public long Restored => Volatile.Read(ref _restored);

    public long CorruptRecords => Volatile.Read(ref _corruptRecords);

    public static IReadOnlyList<DropReason> AllReasons => Reasons;

    public void AddEnqueued() => Interlocked.Increment(ref _enqueued);

    public void AddDelivered(int count)
    {
        Interlocked.Add(ref _delivered, count);
        Interlocked.Increment(ref _batchesSent);
    }

    /// <summary>Counts messages a previous run left in storage; they join <see cref="Enqueued"/> so the invariant holds.</summary>
    public void AddRestored(long count)
    {
        Interlocked.Add(ref _restored, count);
        Interlocked.Add(ref _enqueued, count);
    }

    public void AddCorrupt(long count) => Interlocked.Add(ref _corruptRecords, count);

    public void AddRetry() => Interlocked.Increment(ref _retried);

    public void AddInvalidInput() => Interlocked.Increment(ref _invalidInputs);

    public void AddDropped(DropReason reason, long count) => Interlocked.Add(ref _dropped[(int)reason], count);

    public long GetDropped(DropReason reason) => Volatile.Read(ref _dropped[(int)reason]);

    public GrowlyticsStatistics Snapshot(long pending)
    {
        var byReason = new Dictionary<DropReason, long>(Reasons.Length);
        foreach (var reason in Reasons)
        {
            byReason[reason] = GetDropped(reason);
        }

        return new GrowlyticsStatistics(Enqueued, Delivered, Retried, BatchesSent, pending, InvalidInputs, Restored, CorruptRecords, byReason);
    }
}
