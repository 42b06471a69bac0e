using GrowlyticsSdk.Polyfills;

namespace GrowlyticsSdk.Delivery;

/// <summary>The dispatcher's flushes: each waits for a target of tickets settled, or for everything to be settled.</summary>
internal sealed partial class Dispatcher
{
    // The number of flushes waiting (written under the _flushes lock), for the storage writer's thread to read.
    private int _flushesWaiting;

    // How many of the queue's DroppedUnread have a ticket (written by the loop while a fill runs: see TicketDroppedUnread).
    private long _droppedTicketed;

    /// <summary>
    /// Gives each unread message a full <see cref="QueueOverflowPolicy.DropOldest"/> queue dropped since the last look a
    /// ticket, settled at once (it was counted dropped as it left the queue). A flush counts such a message among the unread
    /// ones its target waits for: without its ticket the target waited for one more message than was accepted before it,
    /// which could be a later call's request retried for minutes. Loop only, while a fill runs (see FlushAsync).
    /// </summary>
    private void TicketDroppedUnread()
    {
        var dropped = _queue.DroppedUnread;
        var ticketed = _droppedTicketed;
        if (ticketed >= dropped)
        {
            return;
        }

        for (; ticketed < dropped; ticketed++)
        {
            _tickets.Settle(_tickets.Issue());
        }

        Volatile.Write(ref _droppedTicketed, ticketed);
    }

    /// <summary>Completes once every message accepted before the call is delivered or dropped.</summary>
    public Task FlushAsync(CancellationToken cancellationToken) => WaitForFlushAsync(RegisterFlush(TakeFlushTarget()), cancellationToken);

    /// <summary>
    /// Takes a flush's target: every message accepted before the call (see <see cref="FlushAsync"/>), to be registered with
    /// <see cref="RegisterFlush"/>; <see langword="null"/> when the loop has ended. With storage, the client takes it at its
    /// call and registers it once the storage writer has written what memory held: taken after that write, the target
    /// counted every call made meanwhile (through a slow disk write, or under a sustained load), and the flush waited for
    /// those too, however long their delivery took.
    /// </summary>
    public FlushTarget? TakeFlushTarget()
    {
        if (_run.IsCompleted)
        {
            return null;
        }

        // Unread first, then what was read: a message read in between is counted twice, so the target can only be
        // too high, never too low; a too-high target still ends when nothing is left to settle. Taken while no fill
        // runs: a fill takes messages from the queue before it publishes their tickets, and a target taken in between
        // would miss them.
        var spin = default(SpinWait);
        while (true)
        {
            var fill = Volatile.Read(ref _fillVersion);
            if ((fill & 1) == 0)
            {
                // Records restored from the folder so far, and memory's messages handed to the storage writer: those after
                // this read are added to the target at registration (read first: restored ones the target counts already
                // are then counted twice, too high rather than too low). Read within the fill's check: a hand-over, made
                // while the version is odd, is then wholly before this read or wholly after the counts.
                var restored = Interlocked.Read(ref _restoredAhead);
                // Memory's unread messages, with those the storage writer holds or handed back (it could not write them),
                // then the stored records not read yet (a fill reads them before memory, so they take tickets first):
                // read in the order messages move (memory, writer, disk, read), so none on its way between them is missed.
                // Records restored from a folder taken over meanwhile are added at registration (StoredRecordsRestored).
                var unread = _memory.FlushCount;
                unread += _disk?.FlushCount ?? 0;

                // Unread messages a full DropOldest queue dropped and the loop has not yet given their settled tickets
                // (TicketDroppedUnread): read after the unread count, so one dropped in between is counted twice, not missed.
                unread += Math.Max(0, _queue.DroppedUnread - Volatile.Read(ref _droppedTicketed));
                var target = Interlocked.Read(ref _issued) + unread;
                if (Volatile.Read(ref _fillVersion) == fill)
                {
                    return new FlushTarget(target, restored);
                }
            }

            spin.SpinOnce();
        }
    }

    /// <summary>
    /// Registers a flush for <paramref name="target"/> (taken by <see cref="TakeFlushTarget"/>), to be waited for with
    /// <see cref="WaitForFlushAsync"/>; <see langword="null"/> when the loop has ended.
    /// </summary>
    public FlushRequest? RegisterFlush(FlushTarget? target)
    {
        if (target is not { } taken || _run.IsCompleted)
        {
            return null;
        }

        _beforeFlushRegistered?.Invoke();
        FlushRequest request;
        lock (_flushes)
        {
            request = new FlushRequest(taken.Tickets + (Interlocked.Read(ref _restoredAhead) - taken.RestoredAhead), _flushesRegistered++);
            _flushes.Add(request);
            Volatile.Write(ref _flushesWaiting, _flushes.Count);
        }

        _wake.Set();
        if (_run.IsCompleted)
        {
            // The loop ended meanwhile (shutdown): nobody else would complete the request. What the loop held is settled
            // by the shutdown, or kept in storage, as for a flush that finds the loop ended.
            CompleteFlushes(everything: true);
        }

        return request;
    }

    /// <summary>Waits for a flush <see cref="RegisterFlush"/> registered (<see langword="null"/>: completes at once).</summary>
    public Task WaitForFlushAsync(FlushRequest? request, CancellationToken cancellationToken) =>
        request is null ? Task.CompletedTask
        : cancellationToken.CanBeCanceled ? WaitOrWithdrawAsync(request, cancellationToken)
        : request.Completion.Task;

    /// <summary>Gets the number of flushes waiting to complete.</summary>
    internal int WaitingFlushes
    {
        get
        {
            lock (_flushes)
            {
                return _flushes.Count;
            }
        }
    }

    /// <summary>
    /// Waits for <paramref name="request"/>; a flush whose wait is cancelled is withdrawn, so it no longer makes the loop
    /// send partial batches, and flushes cancelled one after another during an outage do not pile up until it ends.
    /// </summary>
    private async Task WaitOrWithdrawAsync(FlushRequest request, CancellationToken cancellationToken)
    {
        try
        {
            await TaskCompat.WaitAsync(request.Completion.Task, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            lock (_flushes)
            {
                _flushes.Remove(request);
                Volatile.Write(ref _flushesWaiting, _flushes.Count);
            }

            throw;
        }
    }

    /// <summary>
    /// Counts records the storage folder held when it was loaded (a folder taken over after this client started): read
    /// before anything in memory, they take tickets ahead of what the waiting flushes counted, whose targets grow by as many.
    /// </summary>
    public void StoredRecordsRestored(long records)
    {
        lock (_flushes)
        {
            Interlocked.Add(ref _restoredAhead, records);
            foreach (var flush in _flushes)
            {
                flush.Target += records;
            }
        }
    }

    /// <summary>
    /// Wakes the loop if flushes wait: a count taken for one may have been too high (see <see cref="NothingUnsettled"/>),
    /// and with nothing else to do the loop would not look again before the next message or timer.
    /// </summary>
    public void WakeIfFlushesWait()
    {
        if (Volatile.Read(ref _flushesWaiting) > 0)
        {
            _wake.Set();
        }
    }

    private bool HasFlushRequests()
    {
        lock (_flushes)
        {
            return _flushes.Count > 0;
        }
    }

    private long FlushesRegistered()
    {
        lock (_flushes)
        {
            return _flushesRegistered;
        }
    }

    /// <summary>
    /// Gets a value indicating whether nothing is unread anywhere and every message read is settled (for flushes: kept
    /// stored ones count as settled). A flush's target may then be higher than what it waits for, since a message on its
    /// way between two counts is counted in both (or the storage writer counts a take before it finds the queue empty),
    /// and no message is left to reach it. Loop only; memory is read before the disk, in the order messages move.
    /// </summary>
    private bool NothingUnsettled() =>
        _memory.FlushCount == 0 && (_disk?.FlushCount ?? 0) == 0 && _tickets.Floor == _tickets.Next;

    /// <summary>
    /// Completes the flushes whose target is settled; with <paramref name="everything"/>, also those registered before
    /// <paramref name="registeredBefore"/> (taken before everything was found settled).
    /// </summary>
    private void CompleteFlushes(bool everything, long registeredBefore = long.MaxValue)
    {
        var floor = _tickets.Floor;
        lock (_flushes)
        {
            for (var i = _flushes.Count - 1; i >= 0; i--)
            {
                if ((everything && _flushes[i].Sequence < registeredBefore) || floor >= _flushes[i].Target)
                {
                    _flushes[i].Completion.TrySetResult(true);
                    _flushes.RemoveAt(i);
                    Volatile.Write(ref _flushesWaiting, _flushes.Count);
                }
            }
        }
    }
}
