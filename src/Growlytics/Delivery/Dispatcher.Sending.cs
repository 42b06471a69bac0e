namespace GrowlyticsSdk.Delivery;

/// <summary>The dispatcher's requests on their way: started on the loop's thread or a pool thread, their answers handed back to the loop.</summary>
internal sealed partial class Dispatcher
{
    private void Start(Batch batch)
    {
        _inFlight++;
        _sending.Add(batch);
        if (!batch.CountedAhead)
        {
            batch.CountedBytes = CountedBytes(batch);
            _queue.AddRequestBytes(batch.CountedBytes);
        }

        // A request written ahead was counted when it was written (see WriteAhead).
        batch.CountedAhead = false;
        var token = _sendScope.Token;
        if (_inFlight > 1)
        {
            // Other requests are in flight: compressing this one and writing it to the connection happen on a pool thread,
            // while the loop goes on building the next request and settling answers (on 2 cores, about a third more
            // messages per second for many users). A request alone, one user's, starts here: nothing waits behind it.
#if NET
            // In this thread's own queue (the loop runs on a pool thread): an idle worker takes it from there, or this
            // thread does once the loop waits, with the request still in its core's caches (on 2 cores, 4-7 % less time
            // per round for many users than through the pool's shared queue).
            _sender.BatchQueued();
            ThreadPool.UnsafeQueueUserWorkItem(SendLaterHere, new PendingSend(this, batch, token), preferLocal: true);
#else
            _sender.BatchQueued();
            ThreadPool.UnsafeQueueUserWorkItem(SendLater, new PendingSend(this, batch, token));
#endif
            return;
        }

        _ = SendAsync(batch, token);
    }

    /// <summary>
    /// The bytes a request's body counts toward <see cref="GrowlyticsOptions.MaxQueueBytes"/> beyond what its memory
    /// messages' estimates already hold for their JSON (<see cref="MessageSize.EstimateJson"/>): a buffer's unused
    /// part, and ids, attribute names or unassigned code points whose JSON takes more than the estimate counted. A
    /// buffer that would take the queue past its bound is first cut to an exact copy (unless a request built ahead
    /// still reads it: once built, its body is a copy of its own), so the messages and the bodies together stay within
    /// the bound. A request written ahead is counted when it is written, before its request is built from it (see
    /// WriteAhead): it holds its body for as long as the request before it is on the wire. Only a body of messages from memory counts: one read from disk would keep the calls of an outage from
    /// reaching the disk that is there to hold them.
    /// </summary>
    private long CountedBytes(Batch batch)
    {
        var beyond = BytesBeyondMessages(batch);
        if (beyond > 0 && batch.Prepared is not { IsBuilding: true } && !_queue.HasRoomFor(beyond) && batch.Trim() is { } released)
        {
            ReturnBuffer(released);
            beyond = BytesBeyondMessages(batch);
        }

        return Math.Max(0, beyond);
    }

    // What the body keeps beyond its memory messages' JSON estimates (none for a body of stored messages only).
    private long BytesBeyondMessages(Batch batch)
    {
        long covered = 0;
        foreach (var envelope in batch.Envelopes)
        {
            if (envelope.Source == _memory)
            {
                covered += MessageSize.EstimateJson(envelope.Message);
            }
        }

        return covered == 0 ? 0 : batch.KeptBytes - covered;
    }

#if NET
    private static readonly Action<PendingSend> SendLaterHere = static send => _ = send.Dispatcher.SendAsync(send.Batch, send.Token, queued: true);
#else
    private static readonly WaitCallback SendLater = static state =>
    {
        var send = (PendingSend)state!;
        _ = send.Dispatcher.SendAsync(send.Batch, send.Token, queued: true);
    };
#endif

    // queued: handed to the thread pool, counted by the sender until it has the batch (see RequestSender.BatchQueued).
    private async Task SendAsync(Batch batch, CancellationToken cancellationToken, bool queued = false)
    {
        List<SendResult>? results;
        var prepared = batch.Prepared;
        batch.Prepared = null;
        try
        {
            var sending = _sender.SendAsync(batch.Views, holdsSlot: true, cancellationToken, prepared, batch.CallsIn);
            if (queued)
            {
                _sender.BatchDequeued();
            }

            results = await sending.ConfigureAwait(false);
            if (prepared is { Used: true })
            {
                Interlocked.Increment(ref _preparedSent);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            results = null;
        }

        if (prepared is not null)
        {
            // The sender disposed it (taken or not); a build still running reads the batch's buffer, which is reused once the
            // batch is settled: waited for first.
            await prepared.Built.ConfigureAwait(false);
        }

        if (BeforeAnswerHeard is { } beforeAnswerHeard)
        {
            await beforeAnswerHeard(results).ConfigureAwait(false);
        }

        _completions.Enqueue(new Completion(batch, results));

        // An answer arrives on a pool thread that has nothing else to do: the loop goes on there. A cancelled request ends
        // on the thread that cancelled it (an application's, in OptOut or ShutdownAsync, maybe inside a lock), which the
        // loop must not run on.
        if (results is not null && !cancellationToken.IsCancellationRequested && Thread.CurrentThread.IsThreadPoolThread)
        {
            _finished.Set();
        }
        else
        {
            _wake.Set();
        }
    }

    /// <summary>
    /// Gets or sets a test seam: awaited with a request's results once they are known, before the loop hears them (a loop
    /// busy elsewhere, or a thread that runs late).
    /// </summary>
    internal Func<List<SendResult>?, Task>? BeforeAnswerHeard { get; set; }

    /// <summary>Gets or sets a test seam: called on the loop's thread each time it has started a request while it dispatches.</summary>
    internal Action? AfterRequestStarted { get; set; }

    /// <summary>Gets a value indicating whether sending has stopped (a shutdown's deadline): for tests.</summary>
    internal bool SendingStopped => _stopSending.IsCancellationRequested;

    /// <summary>Gets the requests on the wire now: for tests.</summary>
    internal int ActiveRequests => _limiter.Active;

    /// <summary>A request to start on a pool thread (see <see cref="Start(Batch)"/>).</summary>
    private sealed record PendingSend(Dispatcher Dispatcher, Batch Batch, CancellationToken Token);
}
