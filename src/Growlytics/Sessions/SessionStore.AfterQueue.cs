using GrowlyticsSdk.Threading;

namespace GrowlyticsSdk.Sessions;

// Saves that wait for the messages a session change queued: the session file never gets ahead of the stored queue.
internal sealed partial class SessionStore
{
    // Under _gate. The latest task a save waits for (flushes of the stored queue complete in the order they were asked,
    // so the latest covers the earlier ones), and its slot: the latest save made while it is the latest (one state per
    // waiting login or logout, however many pushes come meanwhile). Every save has a number: _saves is the last given,
    // _resolved the highest one scheduled as a write or voided (by a deletion, or by a later save scheduled first). A
    // slot writes when its wait ends unless a later save was resolved already, so each wait that ends brings the file
    // forward: saves that keep overlapping (a slow disk, logins in quick succession) never starve it. Flushes wait for
    // the number they saw.
    private Task _barrier = Task.CompletedTask;
    private WaitingSave? _slot;
    private long _saves;
    private long _resolved;
    private readonly List<(long Target, TaskCompletionSource<bool> Done)> _resolvedWaiters = [];

    /// <summary>
    /// Gets or sets whether this client may write the file now: not while another client holds the folder (a save that
    /// waited for the stored queue is then resolved without writing; the client saves again once the folder is its own).
    /// </summary>
    public Func<bool>? MayWrite { get; set; }

    /// <summary>
    /// Schedules a write of <paramref name="session"/> once <paramref name="after"/> completes: a login or a logout is
    /// saved after the messages it queued are written to the stored queue (<c>DurableQueue.FlushAsync</c>), so a process
    /// killed before that finds the file as it was before the call, with its held attributes, rather than a session
    /// whose login, logout or held attributes were in memory only. A save made meanwhile waits for that too (its state
    /// includes the change) and replaces the state waiting; a wait that ends after a later save was written writes
    /// nothing; none from before a deletion writes after it. Returns at once.
    /// </summary>
    /// <param name="session">The state to write; must not change afterwards.</param>
    /// <param name="after">What the write waits for, or <see langword="null"/> (then only for earlier saves still waiting).</param>
    public void Save(StoredSession session, Task? after)
    {
        List<TaskCompletionSource<bool>>? done;
        lock (_gate)
        {
            var ticket = ++_saves;
            if (after is { IsCompleted: false } && !ReferenceEquals(after, _barrier))
            {
                var slot = new WaitingSave();
                _barrier = after;
                _slot = slot;
                BackgroundWork.WithoutFlow(() => after.ContinueWith(_ => SaveAfterWait(slot), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default));
            }

            if (!_barrier.IsCompleted && _slot is { } waiting)
            {
                waiting.Session = session;
                waiting.Ticket = ticket;
                waiting.Generation = _generation;
                return;
            }

            ScheduleLocked(session);
            done = ResolveLocked(ticket);
        }

        Complete(done);
    }

    private void SaveAfterWait(WaitingSave slot)
    {
        List<TaskCompletionSource<bool>>? done = null;
        lock (_gate)
        {
            if (slot.Ticket > _resolved)
            {
                if (slot.Generation == _generation && MayWrite?.Invoke() != false)
                {
                    ScheduleLocked(slot.Session!);
                }

                done = ResolveLocked(slot.Ticket);
            }

            slot.Session = null;
        }

        Complete(done);
    }

    /// <summary>
    /// Voids the writes not yet started and the saves still waiting, deleting nothing: a deletion of local data while
    /// another client holds the folder (the file there is that client's), so no state from before it is written after it.
    /// </summary>
    public void Forget()
    {
        List<TaskCompletionSource<bool>>? voided;
        lock (_gate)
        {
            _pending = null;
            _generation++;
            voided = VoidWaitingLocked();
        }

        Complete(voided);
    }

    /// <summary>Voids the saves still waiting (a deletion); under <see cref="_gate"/>.</summary>
    private List<TaskCompletionSource<bool>>? VoidWaitingLocked() => ResolveLocked(_saves);

    /// <summary>Completes when every save made before the call is scheduled as a write or voided.</summary>
    private Task WhenResolved()
    {
        lock (_gate)
        {
            if (_resolved >= _saves)
            {
                return Task.CompletedTask;
            }

            var done = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            _resolvedWaiters.Add((_saves, done));
            return done.Task;
        }
    }

    /// <summary>Gets a value indicating whether a save waits for queued messages; under <see cref="_gate"/>.</summary>
    private bool WaitingLocked => _resolved < _saves;

    private List<TaskCompletionSource<bool>>? ResolveLocked(long ticket)
    {
        if (ticket <= _resolved)
        {
            return null;
        }

        _resolved = ticket;
        List<TaskCompletionSource<bool>>? done = null;
        for (var i = _resolvedWaiters.Count - 1; i >= 0; i--)
        {
            if (_resolvedWaiters[i].Target <= ticket)
            {
                (done ??= []).Add(_resolvedWaiters[i].Done);
                _resolvedWaiters.RemoveAt(i);
            }
        }

        return done;
    }

    private static void Complete(List<TaskCompletionSource<bool>>? done)
    {
        if (done is null)
        {
            return;
        }

        foreach (var waiter in done)
        {
            waiter.TrySetResult(true);
        }
    }

    /// <summary>The latest save waiting for one barrier; under <see cref="_gate"/>.</summary>
    private sealed class WaitingSave
    {
        public StoredSession? Session { get; set; }

        public long Ticket { get; set; }

        public int Generation { get; set; }
    }
}
