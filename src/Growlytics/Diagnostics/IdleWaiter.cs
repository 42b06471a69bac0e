namespace GrowlyticsSdk.Diagnostics;

/// <summary>
/// A wait for a reporter to have nothing left (see <see cref="BulkDropReports"/> and <c>SettledDropReports</c>): the task
/// <see cref="WhenIdleAsync"/> returns is completed by the reporter that finds nothing left (<see cref="CompleteIfIdle"/>,
/// called after its run). Both check the reporter's state under one lock, so a wait that begins as a run ends is never
/// missed.
/// </summary>
internal sealed class IdleWaiter
{
    private readonly Func<bool> _isIdle;
    private readonly object _gate = new();
    private TaskCompletionSource<bool>? _waiting;

    /// <param name="isIdle">Whether the reporter has nothing scheduled, running or waiting.</param>
    public IdleWaiter(Func<bool> isIdle) => _isIdle = isIdle;

    /// <summary>Returns a task that completes once the reporter is idle: at once when it is.</summary>
    public Task WhenIdleAsync()
    {
        lock (_gate)
        {
            if (_isIdle())
            {
                return Task.CompletedTask;
            }

            // Completed by the run that finds nothing left (it checks under the same lock). A run that ended between the
            // check above and this write may not have seen the waiter: after a full fence, the check is repeated.
            var waiting = _waiting ??= new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            Interlocked.MemoryBarrier();
            if (_isIdle())
            {
                _waiting = null;
                waiting.TrySetResult(true);
            }

            return waiting.Task;
        }
    }

    /// <summary>Completes the waiting task if the reporter is idle now (a run just ended).</summary>
    public void CompleteIfIdle()
    {
        if (Volatile.Read(ref _waiting) is not null)
        {
            lock (_gate)
            {
                if (_waiting is { } waiting && _isIdle())
                {
                    _waiting = null;
                    waiting.TrySetResult(true);
                }
            }
        }
    }
}
