namespace GrowlyticsSdk.Sessions;

// Saves that wait for the messages a session change queued: the session file never gets ahead of the stored queue.
internal sealed partial class SessionStore
{
    // Under _gate: the latest task a save waits for (flushes of the stored queue complete in the order they were asked,
    // so the latest covers the earlier ones); every save's number, so only the latest writes once its wait ends; the
    // saves still waiting, and what completes when none is.
    private Task _barrier = Task.CompletedTask;
    private long _saves;
    private int _waiting;
    private TaskCompletionSource<bool>? _waitingDone;

    /// <summary>
    /// Schedules a write of <paramref name="session"/> once <paramref name="after"/> completes: a login or a logout is
    /// saved after the messages it queued are written to the stored queue (<c>DurableQueue.FlushAsync</c>), so a process
    /// killed in between leaves the file as it was before the call, with its held attributes, rather than a session
    /// whose login, logout or held attributes were in memory only. Saves made meanwhile wait for it too, and only the
    /// latest writes; none scheduled before a deletion writes after it. Returns at once.
    /// </summary>
    /// <param name="session">The state to write; must not change afterwards.</param>
    /// <param name="after">What the write waits for, or <see langword="null"/> (then only for earlier saves still waiting).</param>
    public void Save(StoredSession session, Task? after)
    {
        lock (_gate)
        {
            var ticket = ++_saves;
            if (after is { IsCompleted: false })
            {
                _barrier = after;
            }

            if (_barrier.IsCompleted)
            {
                ScheduleLocked(session);
                return;
            }

            if (_waiting++ == 0)
            {
                _waitingDone = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            }

            var generation = _generation;
            _barrier.ContinueWith(_ => SaveAfterWait(session, ticket, generation), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
        }
    }

    private void SaveAfterWait(StoredSession session, long ticket, int generation)
    {
        TaskCompletionSource<bool>? done = null;
        lock (_gate)
        {
            // A later save holds a later state (it writes, or waits itself); a deletion since voids what came before it.
            if (ticket == _saves && generation == _generation)
            {
                ScheduleLocked(session);
            }

            if (--_waiting == 0)
            {
                done = _waitingDone;
                _waitingDone = null;
            }
        }

        done?.TrySetResult(true);
    }
}
