namespace GrowlyticsSdk.Threading;

/// <summary>
/// An auto-reset signal a background loop awaits. Producers set it only at batch-size boundaries, flushes
/// and shutdown, never per message: waking an idle reader costs the caller about a microsecond.
/// </summary>
internal sealed class WakeSignal
{
    private readonly TaskCreationOptions _options;
    private TaskCompletionSource<bool> _source;

    /// <summary>A signal whose waiter resumes on the thread pool, never on the thread that sets it (a caller's).</summary>
    public WakeSignal()
        : this(resumeOnSetter: false)
    {
    }

    /// <summary>
    /// <paramref name="resumeOnSetter"/>: the waiter resumes on the thread that sets the signal, before <see cref="Set"/>
    /// returns. Only for background setters (a finished request), where it saves handing the work to another thread.
    /// </summary>
    public WakeSignal(bool resumeOnSetter)
    {
        _options = resumeOnSetter ? TaskCreationOptions.None : TaskCreationOptions.RunContinuationsAsynchronously;
        _source = NewSource();
    }

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

    private TaskCompletionSource<bool> NewSource() => new(_options);
}
