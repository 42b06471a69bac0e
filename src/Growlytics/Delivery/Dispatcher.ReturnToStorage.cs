namespace GrowlyticsSdk.Delivery;

/// <summary>
/// The dispatcher's side of giving memory's messages to storage at shutdown. Messages that went to memory while the
/// disk failed or the folder was another client's stay there once storage is usable again; at shutdown, those not in
/// a request are written to the folder instead of being dropped with the process.
/// </summary>
internal sealed partial class Dispatcher
{
    // Requests to hand memory's staged messages to the storage writer (the loop's turn does it; under the list's lock).
    private readonly List<TaskCompletionSource<bool>> _returnRequests = [];

    /// <summary>
    /// Hands every staged message from memory that is not in a request to the storage writer, which writes them with the
    /// queue's (see <see cref="MemorySource.ReturnToStorage"/>); completes once done. Only while storage is the buffer.
    /// </summary>
    public Task ReturnToStorageAsync()
    {
        if (_run.IsCompleted)
        {
            // No loop runs (not started): nothing else touches the staged messages.
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

    /// <summary>Serves the requests to hand staged messages to storage (the loop's thread).</summary>
    private void ServeReturnRequests()
    {
        List<TaskCompletionSource<bool>> requests;
        lock (_returnRequests)
        {
            if (_returnRequests.Count == 0)
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

        for (var partition = 0; partition < _partitions.Size; partition++)
        {
            if (_partitions.Messages(partition) is not { Count: > 0 } staged)
            {
                continue;
            }

            for (var i = 0; i < staged.Count; i++)
            {
                var envelope = staged[i];

                // Settled here without a count: the message stays counted pending in memory until the writer writes it
                // (or hands it back, to be sent or dropped from memory). The envelope stays staged, settled, and is
                // skipped like any message settled while staged.
                if (envelope.Source == _memory && envelope.TrySettleIfIdle())
                {
                    _tickets.Settle(envelope.Ticket);
                    _memory.ReturnToStorage(envelope.Message);
                }
            }
        }
    }
}
