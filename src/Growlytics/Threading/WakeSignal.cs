namespace GrowlyticsSdk.Threading;

/// <summary>
/// An auto-reset signal a background loop awaits. Producers set it only at batch-size boundaries, flushes
/// and shutdown, never per message: waking an idle reader costs the caller about a microsecond.
/// </summary>
internal sealed class WakeSignal
{
    private TaskCompletionSource<bool> _source = NewSource();

    public void Set() => Volatile.Read(ref _source).TrySetResult(true);

    public Task WaitAsync() => Volatile.Read(ref _source).Task;

    /// <summary>Re-arms the signal. Call before checking for work, so a Set in between is never lost.</summary>
    public void Reset()
    {
        if (Volatile.Read(ref _source).Task.IsCompleted)
        {
            Interlocked.Exchange(ref _source, NewSource());
        }
    }

    private static TaskCompletionSource<bool> NewSource() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
