namespace GrowlyticsSdk.Delivery;

/// <summary>
/// The dispatcher's side of giving memory's messages to storage at shutdown. Messages that went to memory while the
/// disk failed or the folder was another client's stay there once storage is usable again; at shutdown they are
/// written to the folder instead of being dropped with the process. If some are in a request, the requests in flight
/// are abandoned first (their stored messages stay stored) and sending resumes once every memory message is handed over.
/// </summary>
internal sealed partial class Dispatcher
{
    // Requests to hand memory's staged messages to the storage writer (the loop's turn does it; under the list's lock).
    private readonly List<TaskCompletionSource<bool>> _returnRequests = [];

    // Set by the loop while it waits for the requests it abandoned to end, so their memory messages can be handed over:
    // nothing new is sent meanwhile, and what comes back cancelled is abandoned as at shutdown.
    private volatile bool _returningToStorage;

    /// <summary>
    /// Hands every message from memory that is staged, or in a request, to the storage writer, which writes them before
    /// the queue's (see <see cref="MemorySource.ReturnToStorage"/>); completes once they are handed over. Requests in
    /// flight are abandoned for it only when one of them carries such a message. Only while storage is the buffer.
    /// </summary>
    public Task ReturnToStorageAsync()
    {
        if (_run.IsCompleted)
        {
            // No loop runs (not started): nothing else touches the staged messages, and nothing is in flight.
            ReturnStagedToStorage();
            return Task.CompletedTask;
        }

        var request = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_returnRequests)
        {
            _returnRequests.Add(request);
        }

        _wake.Set();
        return request.Task;
    }

    // Set when the storage disk works again after a failure (see ReturnIdleToStorage); taken by the loop's turn.
    private int _returnIdleRequested;

    /// <summary>
    /// Once a disk that failed works again: hands the messages from memory that are staged and in no request to the
    /// storage writer (which writes them before the queue's), without abandoning any request. In an outage memory may be
    /// full of them, refusing every call while the disk has room. The loop's next turn does it; only while storage is the buffer.
    /// </summary>
    public void ReturnIdleToStorage()
    {
        Interlocked.Exchange(ref _returnIdleRequested, 1);
        _wake.Set();
    }

    /// <summary>Serves the requests to hand memory's messages to storage (the loop's thread).</summary>
    private void ServeReturnRequests()
    {
        if (Volatile.Read(ref _returnIdleRequested) == 1 && Interlocked.Exchange(ref _returnIdleRequested, 0) == 1 && !_returningToStorage)
        {
            lock (_dropRequests)
            {
                if (!_optedOut && !_sweepPending)
                {
                    // Not the partitions where a message from memory is in a request: the messages behind it would be
                    // stored ahead of it, and a shutdown that abandons that request stores its message after them.
                    ReturnStagedToStorage(PartitionsWithMemoryInFlight());
                }
            }

            // Settled where they are staged: removed from their partitions at this turn (see RemoveSettledStaged).
            Interlocked.Exchange(ref _sweepSettled, 1);
        }

        List<TaskCompletionSource<bool>> requests;
        lock (_returnRequests)
        {
            if (_returnRequests.Count == 0)
            {
                return;
            }

            if (!_returningToStorage && _disk is not null && _memory.StorageIsBuffer && !OptedOutOrSweeping() && MemoryInFlight())
            {
                // Their messages come back idle once the requests end (abandoned as at shutdown, see ProcessCompletions).
                lock (_dropRequests)
                {
                    _returningToStorage = true;
                    CancelSendsLocked();
                }
            }

            if (_returningToStorage && _inFlight > 0 && !OptedOutOrSweeping())
            {
                return;
            }

            requests = new List<TaskCompletionSource<bool>>(_returnRequests);
            _returnRequests.Clear();
        }

        try
        {
            // Checked with the hand-over under one lock, so an opt-out cannot come between them: the user opted out (now,
            // or before requests cancelled for it came back), so memory's messages are not written to the folder; this
            // turn's sweep drops them, those of the abandoned requests included, as OptedOut.
            lock (_dropRequests)
            {
                if (!_optedOut && !_sweepPending)
                {
                    ReturnStagedToStorage();
                }
            }
        }
        finally
        {
            foreach (var request in requests)
            {
                request.TrySetResult(true);
            }

            if (_returningToStorage)
            {
                // Stored messages go on being sent within the shutdown's deadline.
                lock (_dropRequests)
                {
                    _returningToStorage = false;
                    RenewSendScopeLocked();
                }
            }
        }
    }

    private bool OptedOutOrSweeping()
    {
        lock (_dropRequests)
        {
            return _optedOut || _sweepPending;
        }
    }

    // A request in flight, or one written ahead of it, carries a message from memory.
    private bool MemoryInFlight()
    {
        foreach (var sending in _sending)
        {
            if (HasMemory(sending) || (sending.Next is { } next && HasMemory(next)))
            {
                return true;
            }
        }

        return false;
    }

    private bool HasMemory(Batch batch)
    {
        foreach (var envelope in batch.Envelopes)
        {
            if (envelope.Source == _memory)
            {
                return true;
            }
        }

        return false;
    }

    // The partitions of the messages from memory in a request in flight, or written ahead of one.
    private HashSet<int> PartitionsWithMemoryInFlight()
    {
        var partitions = new HashSet<int>();
        foreach (var sending in _sending)
        {
            AddMemoryPartitions(sending, partitions);
            if (sending.Next is { } next)
            {
                AddMemoryPartitions(next, partitions);
            }
        }

        return partitions;
    }

    private void AddMemoryPartitions(Batch batch, HashSet<int> partitions)
    {
        foreach (var envelope in batch.Envelopes)
        {
            if (envelope.Source == _memory)
            {
                partitions.Add(envelope.Partition);
            }
        }
    }

    private void ReturnStagedToStorage(HashSet<int>? skipped = null)
    {
        if (_disk is null || !_memory.StorageIsBuffer)
        {
            return;
        }

        // A returned message's ticket is settled here, and it takes a new one when it is read back from the folder, ahead
        // of what memory's queue held (the writer writes it first): the waiting flushes' targets, and those taken and not
        // registered yet, grow by as many, as for records restored from a folder taken over (see StoredRecordsRestored).
        // Without that a flush that counted it returned once the rest was settled, before it was delivered. Odd meanwhile
        // (see TakeFlushTarget), so a target is taken wholly before the hand-over or wholly after it.
        long returned = 0;
        BeginTaking();
        try
        {
            // First what was in the abandoned requests: in each partition, older than what is still staged.
            foreach (var envelope in _abandoned)
            {
                returned += ReturnIfIdle(envelope) ? 1 : 0;
            }

            for (var partition = 0; partition < _partitions.Size; partition++)
            {
                if (_partitions.Messages(partition) is not { Count: > 0 } staged || skipped?.Contains(partition) == true)
                {
                    continue;
                }

                for (var i = 0; i < staged.Count; i++)
                {
                    returned += ReturnIfIdle(staged[i]) ? 1 : 0;
                }
            }

            if (returned > 0)
            {
                StoredRecordsRestored(returned);
            }

            // Then what the writer handed back and the loop has not read (newer than anything staged): those handed back to
            // follow an older message of their user can be stored now that the queue is completed.
            if (_queue.IsCompleted)
            {
                _memory.ReturnHandedBackToStorage();
            }
        }
        finally
        {
            EndTaking();
        }
    }

    private bool ReturnIfIdle(Envelope envelope)
    {
        // Settled here without a count: the message stays counted pending in memory until the writer writes it (or hands
        // it back, to be sent or dropped from memory). The envelope stays where it is, settled, and is skipped like any
        // message settled there.
        if (envelope.Source == _memory && envelope.TrySettleIfIdle())
        {
            _tickets.Settle(envelope.Ticket);
            _memory.ReturnToStorage(envelope.Message);
            return true;
        }

        return false;
    }
}
