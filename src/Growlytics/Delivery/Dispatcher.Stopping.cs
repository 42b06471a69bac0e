using GrowlyticsSdk.Diagnostics;
using GrowlyticsSdk.Polyfills;
using GrowlyticsSdk.Threading;

namespace GrowlyticsSdk.Delivery;

/// <summary>The dispatcher's side of shutdown: the last deliveries within the deadline, and counting what is left.</summary>
internal sealed partial class Dispatcher
{
    // What ended the last deliveries with messages left, for event 2009: the caller's token and ShutdownTimeout call for
    // different changes (a host's stop budget, or the option), and the drops' reason (Shutdown) is the same for both.
    // Written before sending is cancelled, read once the loop has ended (see CountWhatIsLeft).
    private StopCause _stopCause;

    private enum StopCause
    {
        /// <summary>The loop ended on its own (what is left came as it ended).</summary>
        None,

        /// <summary>The deadline passed, or nothing could be delivered before it.</summary>
        Deadline,

        /// <summary>The token of a <c>ShutdownAsync</c> call was cancelled before the deadline, with time left.</summary>
        Cancelled,
    }

    /// <summary>
    /// Delivers what it can within <paramref name="timeout"/>; counts what memory still holds as dropped and returns that
    /// count. Then waits for the <c>MessageDropped</c> handlers to report the drops the loop and the count settled (they
    /// run on the thread pool, see <see cref="SettledDropReports"/>): within the deadline, and a handler still running
    /// then for <paramref name="grace"/> more; the reports after that grace come summed per reason, and a handler that has
    /// run for a whole grace with no other report begun meanwhile is not waited for (event 2016).
    /// </summary>
    public async Task<long> StopAsync(TimeSpan timeout, TimeSpan grace, CancellationToken cancellationToken)
    {
        var started = _time.GetTimestamp();
        var ticks = timeout.TotalSeconds * _time.TimestampFrequency;
        var deadlineAt = cancellationToken.IsCancellationRequested ? started : ticks < long.MaxValue - started ? started + (long)ticks : long.MaxValue;
        Interlocked.Exchange(ref _stopDeadline, deadlineAt);
        _waitsForPause = true;
        _stopping = true;
        _stopRequested.TrySetResult(true);
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
            var keptAnyway = _disk is not null && _memory.Pending == 0 && !_memory.WithWriter;
            var quiet = _sender.WhenQuietUntilAsync(deadlineAt, keptAnyway, () => _waitsForPause, linked.Token);
            if (await Task.WhenAny(_run, expiry, quiet).ConfigureAwait(false) != _run)
            {
                // Out of time, or nothing can go in it: the requests in flight are abandoned; what they held is counted
                // below (or stays stored). The caller's token, not the deadline, when it cancelled the wait for the deadline
                // with time left: with none (a ShutdownTimeout of zero, or one the steps before spent), the deadline ended
                // them whatever the token.
                _stopCause = cancellationToken.IsCancellationRequested && timeout > TimeSpan.Zero && expiry.Status != TaskStatus.RanToCompletion ? StopCause.Cancelled : StopCause.Deadline;
                _stopSending.Cancel();
                _wake.Set();
            }

            deadline.Cancel();

            // With sending cancelled the loop ends soon: it runs no application code (a MessageDropped handler runs on
            // the thread pool, see SettledDropReports).
            await Task.WhenAny(_run).ConfigureAwait(false);
        }

        // Off this thread: with 60,000 messages left the count takes about 0.1 s of CPU.
        var undelivered = await BackgroundWork.Start(CountWhatIsLeft).ConfigureAwait(false);

        // The handlers report what was counted, the count's own drops included: within the deadline, then a grace.
        if (_settler.Reports is { } reports)
        {
            var reported = reports.WhenReportedAsync();
            var left = cancellationToken.IsCancellationRequested ? TimeSpan.Zero : timeout - _time.GetElapsedTime(started);
            if (left > TimeSpan.Zero && !reported.IsCompleted)
            {
                using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                await Task.WhenAny(reported, TaskCompat.Delay(_time, left, stop.Token)).ConfigureAwait(false);
                stop.Cancel();
            }

            if (await HeldByHandlerAsync(reports, reported, grace).ConfigureAwait(false))
            {
                // What waits behind it is reported summed when it returns.
                reports.SumFromNow();
                HandlerHeldLogged = true;
                Log.DropHandlerHeldAtShutdown(_logger);
            }
        }

        return undelivered;
    }

    // Waits for the reports until they are done (false), or until one MessageDropped handler has run for a whole grace and
    // still runs (true): a handler runs and none began during the grace. A run of quick handlers (one per message left)
    // is waited for the first grace only: the reports after it are summed per reason (SettledDropReports.SumFromNow), so
    // the shutdown does not wait for a handler call per message.
    private async Task<bool> HeldByHandlerAsync(SettledDropReports reports, Task reported, TimeSpan grace)
    {
        while (!reported.IsCompleted)
        {
            var calls = reports.HandlerCalls;
            using var stop = new CancellationTokenSource();
            await Task.WhenAny(reported, TaskCompat.Delay(_time, grace, stop.Token)).ConfigureAwait(false);
            stop.Cancel();
            if (!reported.IsCompleted && reports.InHandler && reports.HandlerCalls == calls)
            {
                return true;
            }

            if (!reported.IsCompleted)
            {
                reports.SumFromNow();
            }
        }

        return false;
    }

    /// <summary>Gets a value indicating whether the shutdown logged event 2016 for a handler of the loop's drops.</summary>
    public bool HandlerHeldLogged { get; private set; }

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
            switch (_stopCause)
            {
                case StopCause.Deadline:
                    Log.UndeliveredAtShutdownDeadline(_logger, undelivered);
                    break;
                case StopCause.Cancelled:
                    Log.UndeliveredAtShutdownCancelled(_logger, undelivered);
                    break;
                default:
                    Log.UndeliveredAtShutdown(_logger, undelivered);
                    break;
            }
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
