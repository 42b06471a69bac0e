namespace GrowlyticsSdk.Delivery;

/// <summary>A waiting <c>FlushAsync</c>: done once the first <see cref="Target"/> messages read from the queue are settled.</summary>
internal sealed class FlushRequest
{
    public FlushRequest(long target, long sequence)
    {
        Target = target;
        Sequence = sequence;
    }

    /// <summary>Gets or sets the number of tickets that must be settled (changed only under the dispatcher's flushes lock).</summary>
    public long Target { get; set; }

    /// <summary>Gets the order in which the flush was registered: 0 for the first.</summary>
    public long Sequence { get; }

    public TaskCompletionSource<bool> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}

/// <summary>
/// A flush's target, taken at its call (see <c>Dispatcher.TakeFlushTarget</c>): the tickets that must be settled, and the
/// records restored from the storage folder by then (those restored before the flush registers are added to it).
/// </summary>
internal readonly record struct FlushTarget(long Tickets, long RestoredAhead);
