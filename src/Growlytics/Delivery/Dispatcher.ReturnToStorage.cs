namespace GrowlyticsSdk.Delivery;

/// <summary>
/// The dispatcher's side of giving memory's messages to storage at shutdown. Messages that went to memory while the
/// disk failed or the folder was another client's stay there once storage is usable again; at shutdown they are
/// written to the folder instead of being dropped with the process: sending stops, the requests in flight are
/// abandoned (their messages, memory's and stored ones, go to the next start), and every memory message is handed over.
/// </summary>
internal sealed partial class Dispatcher
{
    // Requests to hand memory's staged messages to the storage writer (the loop's turn does it; under the list's lock).
    private readonly List<TaskCompletionSource<bool>> _returnRequests = [];

    // Set once shutdown asked for memory's messages to go to storage: nothing more is sent, and the loop waits for the
    // abandoned requests to end before it hands their messages over.
    private volatile bool _returningToStorage;

    /// <summary>
    /// Stops sending, abandons the requests in flight and hands every message from memory that is staged or was in one of
    /// them to the storage writer, which writes them before the queue's (see <see cref="MemorySource.ReturnToStorage"/>);
    /// completes once they are handed over. Only while storage is the buffer.
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

        lock (_dropRequests)
        {
            // Abandoned requests come back as at shutdown (not as a privacy cancellation: see ProcessCompletions).
            _returningToStorage = true;
            CancelSendsLocked();
        }

        _wake.Set();
        return request.Task;
    }

    /// <summary>Serves the requests to hand staged messages to storage (the loop's thread), once no request is in flight.</summary>
    private void ServeReturnRequests()
    {
        List<TaskCompletionSource<bool>> requests;
        lock (_returnRequests)
        {
            if (_returnRequests.Count == 0 || _inFlight > 0)
            {
                return;
            }

            requests = new List<TaskCompletionSource<bool>>(_returnRequests);
            _returnRequests.Clear();
        }

        try
        {
            ReturnStagedToStorage();
        }
        finally
        {
            foreach (var request in requests)
            {
                request.TrySetResult(true);
            }
        }
    }

    private void ReturnStagedToStorage()
    {
        if (_disk is null || !_memory.StorageIsBuffer)
        {
            return;
        }

        // First what was in the abandoned requests: in each partition, older than what is still staged.
        foreach (var envelope in _abandoned)
        {
            ReturnIfIdle(envelope);
        }

        for (var partition = 0; partition < _partitions.Size; partition++)
        {
            if (_partitions.Messages(partition) is not { Count: > 0 } staged)
            {
                continue;
            }

            for (var i = 0; i < staged.Count; i++)
            {
                ReturnIfIdle(staged[i]);
            }
        }
    }

    private void ReturnIfIdle(Envelope envelope)
    {
        // Settled here without a count: the message stays counted pending in memory until the writer writes it (or hands
        // it back, to be sent or dropped from memory). The envelope stays where it is, settled, and is skipped like any
        // message settled there.
        if (envelope.Source == _memory && envelope.TrySettleIfIdle())
        {
            _tickets.Settle(envelope.Ticket);
            _memory.ReturnToStorage(envelope.Message);
        }
    }
}
