namespace GrowlyticsSdk.Threading;

/// <summary>
/// A signal for many waiters: <see cref="Pulse"/> wakes every waiter that took <see cref="Current"/> before it. A waiter
/// takes <see cref="Current"/> first, then checks its condition, then awaits what it took: a pulse after the check wakes
/// it, and one before the check is seen by the check. No waiter re-arms it (with several, one re-arming could swap away
/// the pulse another was about to wait for).
/// </summary>
internal sealed class PulseSignal
{
    private TaskCompletionSource<bool> _source = NewSource();

    /// <summary>Gets the task the next <see cref="Pulse"/> completes.</summary>
    public Task Current => Volatile.Read(ref _source).Task;

    /// <summary>Wakes every waiter that took <see cref="Current"/> before this call; later ones wait for the next.</summary>
    public void Pulse() => Interlocked.Exchange(ref _source, NewSource()).TrySetResult(true);

    // Waiters resume on the thread pool, never on the thread that pulses (the delivery loop, or a caller's).
    private static TaskCompletionSource<bool> NewSource() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
