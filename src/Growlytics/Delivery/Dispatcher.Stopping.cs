using GrowlyticsSdk.Diagnostics;
using GrowlyticsSdk.Polyfills;
using GrowlyticsSdk.Threading;

namespace GrowlyticsSdk.Delivery;

/// <summary>The dispatcher's side of shutdown: the last deliveries within the deadline, and counting what is left.</summary>
internal sealed partial class Dispatcher
{
    /// <summary>
    /// Gets a task that completes when a loop that outlived <see cref="StopAsync"/> (held by a <c>MessageDropped</c> handler
    /// that does not return) has ended and what it held is counted, or when the count of what was left, held by such a
    /// handler, has ended; <see langword="null"/> when both ended in time.
    /// </summary>
    public Task? StoppedLate { get; private set; }

    /// <summary>
    /// Delivers what it can within <paramref name="timeout"/>; counts what memory still holds as dropped and returns that
    /// count. A loop that has not ended <paramref name="grace"/> after the deadline (it is running an application's
    /// handler that does not return) is left to end on its own: the count is then taken when it ends (<see cref="StoppedLate"/>).
    /// The count itself reports each drop to those handlers, on the thread pool; one held by a handler likewise ends on its own.
    /// </summary>
    public async Task<long> StopAsync(TimeSpan timeout, TimeSpan grace, CancellationToken cancellationToken)
    {
        var started = _time.GetTimestamp();
        _stopping = true;
        _wake.Set();
        if (!_run.IsCompleted)
        {
            using var deadline = new CancellationTokenSource();
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token, cancellationToken);
            var expiry = TaskCompat.Delay(_time, timeout, linked.Token);

            // An app closed offline: the circuit open past the deadline, nothing on the wire, so nothing can be delivered
            // in the time left. Stopped at once, as at the deadline, instead of waiting it out. With every message left in
            // the storage folder (none only in memory, none with the writer), also once every batch waits for a retry due
            // past the deadline, or for one after attempts the service did not answer: they stay there for the next start.
            var ticks = timeout.TotalSeconds * _time.TimestampFrequency;
            var deadlineAt = ticks < long.MaxValue - started ? started + (long)ticks : long.MaxValue;
            var keptAnyway = _disk is not null && _memory.Pending == 0 && !_memory.WithWriter;
            var quiet = _sender.WhenQuietUntilAsync(deadlineAt, keptAnyway, linked.Token);
            if (await Task.WhenAny(_run, expiry, quiet).ConfigureAwait(false) != _run)
            {
                // Out of time, or nothing can go in it: the requests in flight are abandoned; what they held is counted
                // below (or stays stored).
                _stopSending.Cancel();
                _wake.Set();
            }

            deadline.Cancel();

            // With sending cancelled the loop ends soon, unless it is inside a MessageDropped handler that does not return
            // (one that waits for the thread now waiting for this shutdown, as Control.Invoke does): the shutdown does not
            // wait for such a handler past the grace, and the loop's own structures are counted when it ends.
            if (await HeldByHandlerAsync(_run, grace).ConfigureAwait(false))
            {
                Log.DeliveryLoopHeldAtShutdown(_logger);
                StoppedLate = _run.Then(static (_, state) => ((Dispatcher)state!).CountWhatIsLeft(), this);
                return 0;
            }
        }

        // Counting what is left reports each drop to the MessageDropped handlers: off this thread, and within the same
        // bounds, so a handler that waits for the thread shutting the client down does not hold the shutdown either.
        var counting = BackgroundWork.Start(CountWhatIsLeft);

        var left = cancellationToken.IsCancellationRequested ? TimeSpan.Zero : timeout - _time.GetElapsedTime(started);
        if (left > TimeSpan.Zero && !counting.IsCompleted)
        {
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            await Task.WhenAny(counting, TaskCompat.Delay(_time, left, stop.Token)).ConfigureAwait(false);
            stop.Cancel();
        }

        if (await HeldByHandlerAsync(counting, grace).ConfigureAwait(false))
        {
            Log.DeliveryLoopHeldAtShutdown(_logger);
            StoppedLate = counting;
            return 0;
        }

        return await counting.ConfigureAwait(false);
    }

    // Waits for task until it completes (false), or until one MessageDropped handler has run for a whole grace and still
    // runs (true): a handler runs and none began during the grace. Work that is slow without a handler is waited for; a
    // run of quick handlers (one per message left) only for the first grace: the drops after it are reported summed per
    // reason (Settler.SumFromNow), so the count ends without running a handler per message.
    private async Task<bool> HeldByHandlerAsync(Task task, TimeSpan grace)
    {
        while (!task.IsCompleted)
        {
            var calls = _settler.HandlerCalls;
            using var stop = new CancellationTokenSource();
            await Task.WhenAny(task, TaskCompat.Delay(_time, grace, stop.Token)).ConfigureAwait(false);
            stop.Cancel();
            if (!task.IsCompleted && _settler.InHandler && _settler.HandlerCalls == calls)
            {
                return true;
            }

            if (!task.IsCompleted)
            {
                _settler.SumFromNow();
            }
        }

        return false;
    }

    // Once the loop has ended: drop requests it did not serve completed, what the engine held counted as dropped, flushes
    // completed.
    private long CountWhatIsLeft()
    {
        // Drop requests the loop did not serve before it ended (one made as the deadline passed) complete below, once what
        // the engine held is settled; later ones complete at once (DropAllAsync).
        List<TaskCompletionSource<bool>>? unserved;
        lock (_dropRequests)
        {
            _loopEnded = true;
            unserved = _dropRequests.Count == 0 ? null : [.. _dropRequests];
            _dropRequests.Clear();
        }

        var left = new List<Envelope>();
        _partitions.DrainAll(left);
        left.AddRange(_abandoned);
        _abandoned.Clear();

        // Everything memory holds, what storage would write included: the writer has stopped (or missed the deadline),
        // so a message still queued now (a call that raced the shutdown, or one behind a stuck write) is counted here.
        var undelivered = DropFromMemory(left) + DropWhatMemoryHolds();

        // From now on what reaches memory (a write that fails after the deadline hands its messages back) is dropped as
        // it arrives (DropLateArrivals); what arrived before this line is swept here.
        _stopped = true;
        undelivered += DropWhatMemoryHolds();
        if (undelivered > 0)
        {
            Log.UndeliveredAtShutdown(_logger, undelivered);
        }

        CompleteFlushes(everything: true);
        CompleteDropRequests(unserved);
        return undelivered;
    }

    /// <summary>
    /// After <see cref="StopAsync"/>, counts as dropped (<see cref="DropReason.Shutdown"/>) what reached memory since: the
    /// storage writer hands back what it could not write, also after it missed the shutdown deadline; a call that passed
    /// the queue's check just before shutdown adds its message late.
    /// </summary>
    public void DropLateArrivals()
    {
        if (!_stopped)
        {
            return;
        }

        if (DropWhatMemoryHolds() is > 0 and var dropped)
        {
            Log.UndeliveredAtShutdown(_logger, dropped);
        }
    }

    /// <summary>
    /// Runs <see cref="DropLateArrivals"/> on the thread pool, for a call that added its message after shutdown began: the
    /// caller's thread may hold the application's locks, and a drop raises <see cref="GrowlyticsClient.MessageDropped"/>.
    /// </summary>
    public void DropLateArrivalsSoon() =>
        ThreadPool.UnsafeQueueUserWorkItem(static state => ((Dispatcher)state!).DropLateArrivalsSafely(), this);

    private void DropLateArrivalsSafely()
    {
        try
        {
            DropLateArrivals();
        }
#pragma warning disable CA1031 // Nothing may escape onto the thread pool: it would end the process.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Log.DeliveryLoopFault(_logger, ex);
        }
    }

    private long DropWhatMemoryHolds()
    {
        var left = new List<Envelope>();
        while (_memory.ReadAll(left, int.MaxValue) > 0)
        {
        }

        return DropFromMemory(left);
    }

    // Stored messages stay on disk for the next start; memory ones are lost with the process.
    private long DropFromMemory(List<Envelope> envelopes)
    {
        long dropped = 0;
        foreach (var envelope in envelopes)
        {
            if (envelope.Source == _memory && !envelope.IsSettled)
            {
                dropped += envelope.Message.Calls;
                _settler.Dropped(envelope, DropReason.Shutdown);
            }
        }

        return dropped;
    }
}
