using GrowlyticsSdk.Diagnostics;

namespace GrowlyticsSdk.Delivery;

/// <summary>
/// The dispatcher's side of dropping everything at once: the user opted out or asked for local data to be deleted
/// (<see cref="DropReason.OptedOut"/>), or the service refused the key (<see cref="DropReason.Unauthorized"/>).
/// </summary>
internal sealed partial class Dispatcher
{
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
            CancelSendsLocked();
        }

        _wake.Set();
    }

    /// <summary>Sends again what is recorded from now on.</summary>
    public void OptIn()
    {
        _optedOut = false;
        _wake.Set();
    }

    /// <summary>
    /// Drops, as <see cref="DropReason.OptedOut"/>, every message the engine holds now (staged, in memory, stored) and
    /// cancels the requests in flight; completes once done. Messages recorded later are sent as usual.
    /// </summary>
    public Task DropAllAsync()
    {
        if (_run.IsCompleted)
        {
            // No loop runs (not started): nothing else touches the staged messages.
            DropEverything(DropReason.OptedOut);
            return Task.CompletedTask;
        }

        var request = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_dropRequests)
        {
            // Cancelled together with the request, so no send started after the drop is cancelled by it.
            CancelSendsLocked();
            _dropRequests.Add(request);
        }

        _wake.Set();
        if (_run.IsCompleted)
        {
            // The loop ended meanwhile (shutdown), which settled or kept what it held.
            CompleteDropRequests(TakeDropRequests(out _));
        }

        return request.Task;
    }

    /// <summary>
    /// Drops every message the engine holds or can read now as <paramref name="reason"/>: staged (paused partitions
    /// included), abandoned, in memory (those waiting for the storage writer included) and stored. Requests in flight are
    /// settled by their answers: flushes complete now when nothing is in flight, else once those answers are in.
    /// </summary>
    private void DropEverything(DropReason reason, int status = 0)
    {
        // Odd while messages are read and not yet published in _issued (see FlushAsync).
        Interlocked.Increment(ref _fillVersion);
        try
        {
            var held = new List<Envelope>();
            PutBackWrittenAhead();
            _partitions.DrainAll(held);
            held.AddRange(_abandoned);
            _abandoned.Clear();
            foreach (var (partition, _) in _paused)
            {
                _partitions.Unblock(partition);
            }

            _paused.Clear();
            Drop(held, reason, status, ticketed: true);

            // Settled round by round, so the stored queue's read window frees up and every stored record is reached.
            while (true)
            {
                held.Clear();
                if (_memory.ReadAll(held) == 0 && (_disk?.Read(held, int.MaxValue) ?? 0) == 0)
                {
                    break;
                }

                Drop(held, reason, status, ticketed: false);
            }
        }
        finally
        {
            Interlocked.Exchange(ref _issued, _tickets.Next);
            Interlocked.Increment(ref _fillVersion);
        }

        CompleteFlushes(everything: _inFlight == 0);
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

    /// <summary>Runs the privacy requests on the loop; returns whether the client is opted out (nothing is to be read for sending).</summary>
    private bool DropForPrivacy()
    {
        var requests = TakeDropRequests(out var optedOut);
        if (optedOut || requests is not null)
        {
            DropEverything(DropReason.OptedOut);
        }

        CompleteDropRequests(requests);
        return optedOut;
    }

    private List<TaskCompletionSource<bool>>? TakeDropRequests(out bool optedOut)
    {
        lock (_dropRequests)
        {
            optedOut = _optedOut;
            if (!optedOut && _sendScope.IsCancellationRequested && !_stopSending.IsCancellationRequested)
            {
                // Requests cancelled for privacy come back as abandoned and are dropped; later ones get a fresh scope.
                _sendScope = CancellationTokenSource.CreateLinkedTokenSource(_stopSending.Token);
            }

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
        foreach (var request in requests ?? [])
        {
            request.TrySetResult(true);
        }
    }

    private void CancelSendsLocked()
    {
        try
        {
            _sendScope.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Shut down: nothing is in flight any more.
        }
    }
}
