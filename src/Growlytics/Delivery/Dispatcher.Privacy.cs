using GrowlyticsSdk.Diagnostics;
using GrowlyticsSdk.Polyfills;

namespace GrowlyticsSdk.Delivery;

/// <summary>
/// The dispatcher's side of dropping everything at once: the user opted out or asked for local data to be deleted
/// (<see cref="DropReason.OptedOut"/>), or the service refused the key (<see cref="DropReason.Unauthorized"/>).
/// </summary>
internal sealed partial class Dispatcher
{
    private readonly Action? _beforeOptOutSweep;

    // How often a sweep that waits for the storage writer to finish what it held when the sweep began looks again (the
    // writer also wakes the loop when it is done). The wait itself is not bounded: a message the writer took before the
    // sweep and wrote after it would be read and sent once the user opted back in; a stuck disk holds delivery meanwhile.
    private static readonly TimeSpan MaxStorageWriterWait = TimeSpan.FromMilliseconds(200);

    // What the storage writer held when a sweep began, while the loop waits for it (sweeping again, reading nothing to
    // send), and until when it waits. Loop only.
    private (long Left, int Held)? _writerAtSweep;
    private long _writerWaitEnds;

    // Set by OptOut until the loop has swept memory for it; read and written under _dropRequests.
    private bool _sweepPending;

    // Once opted back in before that sweep ran: how many of the oldest messages in memory it may still take (those were
    // there when the user opted in; what is recorded after the opt-in is never swept). Under _dropRequests.
    private int _sweepLimit;

    // Counts the opt-outs, so a sweep clears _sweepPending only if no opt-out came after it began. Under _dropRequests.
    private int _optOuts;

    // Set by StopAsync once the loop has ended: drop requests are no longer served by it. Under _dropRequests.
    private bool _loopEnded;

    /// <summary>Gets a value indicating whether the loop is still to sweep for an opt-out (tests: the opt-in's last sweep ran).</summary>
    internal bool SweepPending
    {
        get
        {
            lock (_dropRequests)
            {
                return _sweepPending;
            }
        }
    }

    /// <summary>
    /// Stops sending until <see cref="OptIn"/>: what the engine holds now, and whatever reaches it later, is dropped as
    /// <see cref="DropReason.OptedOut"/> by the loop; requests in flight are cancelled (one the service already received may
    /// still count as delivered).
    /// </summary>
    public void OptOut()
    {
        lock (_dropRequests)
        {
            _optedOut = true;
            _sweepPending = true;
            _optOuts++;
            CancelSendsLocked();
        }

        _wake.Set();
    }

    /// <summary>
    /// Sends again what is recorded from now on. If the loop has not yet swept memory for the opt-out, it later takes
    /// only the messages in memory now (the oldest): the client accepts calls again only after this returns.
    /// </summary>
    public void OptIn()
    {
        lock (_dropRequests)
        {
            _optedOut = false;
            _sweepLimit = _sweepPending ? _memory.UnreadCount : 0;
        }

        _wake.Set();
    }

    /// <summary>
    /// Drops, as <see cref="DropReason.OptedOut"/>, every message the engine holds now (staged, in memory, stored) and
    /// cancels the requests in flight; completes once done. Messages recorded later are sent as usual.
    /// </summary>
    public Task DropAllAsync()
    {
        if (!_started)
        {
            // No loop runs (never started): nothing else touches the staged messages.
            DropEverything(DropReason.OptedOut);
            return Task.CompletedTask;
        }

        var request = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_dropRequests)
        {
            if (_loopEnded)
            {
                // Shut down: the shutdown settled what the engine held (or left it stored), and nothing may touch it now.
                return Task.CompletedTask;
            }

            // Cancelled together with the request, so no send started after the drop is cancelled by it.
            CancelSendsLocked();
            _dropRequests.Add(request);
        }

        // A loop that ends before it serves the request leaves it to the shutdown (StopAsync), which completes it.
        _wake.Set();
        return request.Task;
    }

    /// <summary>
    /// Drops every message the engine holds or can read now as <paramref name="reason"/>: staged (paused partitions
    /// included), abandoned, in memory (those waiting for the storage writer included) and stored. Requests in flight are
    /// settled by their answers: flushes complete now when nothing is in flight, else once those answers are in.
    /// </summary>
    private void DropEverything(DropReason reason, int status = 0, bool forOptOut = false)
    {
        // False once a sweep for an opt-out taken back leaves later messages in memory: flushes wait for those.
        var everything = true;
        var registeredBefore = FlushesRegistered();
        int optOuts;
        lock (_dropRequests)
        {
            optOuts = _optOuts;
        }

        // Odd while messages are read and not yet published in _issued (see FlushAsync).
        BeginTaking();
        try
        {
            TicketDroppedUnread();
            var held = new List<Envelope>();
            PutBackWrittenAhead();
            _partitions.DrainAll(held);
            held.AddRange(_abandoned);
            _abandoned.Clear();
            foreach (var (partition, _, _) in _paused)
            {
                _partitions.Unblock(partition);
                _pausedNow[partition] = false;
            }

            _paused.Clear();
            Drop(held, reason, status, ticketed: true);
            // Only for an opt-out: a deletion (DropAllAsync) deletes what the writer took before it on the writer itself (written
            // first, or dropped if held for room), and a sweep that waited here for the writer after it would drop from disk
            // the calls made once the deletion had completed.
            if (reason == DropReason.OptedOut && forOptOut && _disk is not null && _writerAtSweep is null)
            {
                _writerAtSweep = _memory.WriterMark;
                _writerWaitEnds = _time.GetTimestamp() + (long)(MaxStorageWriterWait.TotalSeconds * _time.TimestampFrequency);
            }

            // At most what memory and the disk hold as the sweep begins: a deletion (or a refused key) need not take calls made
            // while it runs, so calls that keep coming never keep it from ending (an opt-out refuses them at the queue
            // instead). The disk's share grows by what memory has not given yet: the storage writer may move it there meanwhile.
            var memoryLeft = forOptOut ? int.MaxValue : _memory.UnreadCount;
            var diskLeft = forOptOut ? long.MaxValue : (_disk?.FlushCount ?? 0) + memoryLeft;

            // Settled round by round, so the stored queue's read window frees up and every stored record is reached.
            while (true)
            {
                held.Clear();
                BeginTaking();
                var fromMemory = ReadMemoryToDrop(held, forOptOut, memoryLeft, ref everything);
                var fromDisk = 0;
                if (diskLeft > fromMemory && _disk is not null)
                {
                    // What memory gave is ticketed and published first: the disk's read marks its take itself, under the
                    // store's lock (see BeginTaking), so no flush spins while the sweep waits for that lock.
                    Drop(held, reason, status, ticketed: false);
                    held.Clear();
                    EndTaking();
                    fromDisk = _disk.Read(held, (int)Math.Min(diskLeft - fromMemory, int.MaxValue));
                }

                if (!forOptOut)
                {
                    memoryLeft -= fromMemory;
                    diskLeft -= fromMemory + fromDisk;
                }

                Drop(held, reason, status, ticketed: false);
                if (fromMemory + fromDisk == 0)
                {
                    break;
                }
            }

            if (!forOptOut && (_memory.HasUnread || (_disk?.FlushCount ?? 0) > 0))
            {
                // Calls made during the sweep are left to be sent: flushes wait for them.
                everything = false;
            }
        }
        finally
        {
            EndTaking();
        }

        if (reason == DropReason.OptedOut)
        {
            var waitsForWriter = WaitsForStorageWriter();
            lock (_dropRequests)
            {
                // Swept for the opt-outs recorded before it began (while still opted out, every turn sweeps again). One
                // recorded since may have left messages this sweep had already passed: the next turn sweeps for it, as
                // it does while the storage writer still holds messages it took from memory before the first sweep.
                if (waitsForWriter)
                {
                    _sweepPending = true;
                }
                else if (_optOuts == optOuts)
                {
                    _sweepPending = _optedOut;
                    _sweepLimit = 0;
                }
            }
        }

        CompleteFlushes(everything: everything && _inFlight == 0, registeredBefore);
    }

    /// <summary>
    /// Gets whether the storage writer still holds messages it took from memory before the sweep began: not on disk yet,
    /// they escaped both halves of the sweep and would be sent. The loop then sweeps again, reading nothing to send, when
    /// the writer wakes it (written, or handed back), or every <see cref="MaxStorageWriterWait"/>.
    /// </summary>
    private bool WaitsForStorageWriter()
    {
        if (_writerAtSweep is not { } mark)
        {
            return false;
        }

        var now = _time.GetTimestamp();
        if (_memory.WriterDoneSince(mark))
        {
            _writerAtSweep = null;
            return false;
        }

        // Not bounded: a message the writer took before the sweep and writes after it would otherwise be read and sent once
        // the user has opted back in. The timer only makes the loop look again (the writer also wakes it when done).
        if (now >= _writerWaitEnds)
        {
            _writerWaitEnds = now + (long)(MaxStorageWriterWait.TotalSeconds * _time.TimestampFrequency);
        }

        _pauseTimer ??= LoopTimer(TimeSpan.FromSeconds((_writerWaitEnds - now) / (double)_time.TimestampFrequency));
        return true;
    }

    /// <summary>
    /// Takes what memory holds, to drop it. For an opt-out the user has meanwhile taken back, only the messages that were in
    /// memory at the opt-in (the oldest) are taken: under the same lock as <see cref="OptIn"/>, so a call accepted after the
    /// opt-in is never among them.
    /// </summary>
    private int ReadMemoryToDrop(List<Envelope> held, bool forOptOut, int limit, ref bool everything)
    {
        if (!forOptOut)
        {
            return limit > 0 ? _memory.ReadAll(held, limit) : 0;
        }

        _beforeOptOutSweep?.Invoke();
        lock (_dropRequests)
        {
            if (_optedOut)
            {
                return _memory.ReadAll(held);
            }

            var read = _memory.ReadAll(held, _sweepLimit);
            _sweepLimit -= read;
            everything = false;
            return read;
        }
    }

    private void Drop(List<Envelope> envelopes, DropReason reason, int status, bool ticketed)
    {
        foreach (var envelope in envelopes)
        {
            if (!ticketed)
            {
                envelope.Ticket = _tickets.Issue();
            }

            _settler.Dropped(envelope, reason, status);
            _tickets.Settle(envelope.Ticket);
        }
    }

    /// <summary>
    /// Runs the privacy requests on the loop; returns whether nothing is to be read for sending: the client is opted out,
    /// or a sweep waits for the storage writer.
    /// </summary>
    private bool DropForPrivacy()
    {
        var requests = TakeDropRequests(out var optedOut, out var sweepPending);
        if (optedOut || sweepPending || requests is not null)
        {
            DropEverything(DropReason.OptedOut, forOptOut: requests is null);
        }

        CompleteDropRequests(requests);
        return optedOut || _writerAtSweep is not null;
    }

    /// <summary>
    /// While the key is refused, drops as <see cref="DropReason.Unauthorized"/> what reached memory or storage after
    /// <see cref="OnKeyRefused"/> dropped everything held, as it did: a call that raced the refusal, a message the storage
    /// writer held, records of a folder taken over meanwhile.
    /// </summary>
    private void DropAfterKeyRefusal()
    {
        if (_memory.HasUnread || _partitions.Count > 0 || (_disk?.FlushCount ?? 0) > 0)
        {
            DropEverything(DropReason.Unauthorized, _keyRefusedStatus);
        }
    }

    private List<TaskCompletionSource<bool>>? TakeDropRequests(out bool optedOut, out bool sweepPending)
    {
        lock (_dropRequests)
        {
            optedOut = _optedOut;
            sweepPending = _sweepPending;
            // Requests cancelled for privacy come back as abandoned and are dropped; later ones get a fresh scope.
            RenewSendScopeLocked();

            if (_dropRequests.Count == 0)
            {
                return null;
            }

            var requests = new List<TaskCompletionSource<bool>>(_dropRequests);
            _dropRequests.Clear();
            return requests;
        }
    }

    private static void CompleteDropRequests(List<TaskCompletionSource<bool>>? requests)
    {
        if (requests is null)
        {
            // Most turns: none (a new empty list for them would cost every turn an allocation).
            return;
        }

        foreach (var request in requests)
        {
            request.TrySetResult(true);
        }
    }
}
