using System.Globalization;
using System.Text;
using GrowlyticsSdk.Diagnostics;
using GrowlyticsSdk.Sessions;
using GrowlyticsSdk.Storage;
using GrowlyticsSdk.Threading;
using Microsoft.Extensions.Logging;

namespace GrowlyticsSdk;

// The client's shutdown: the last deliveries within the deadline, storage closed, and the drops reported.
public sealed partial class GrowlyticsClient
{
    /// <summary>
    /// Stops accepting messages, delivers what is queued within <see cref="GrowlyticsOptions.ShutdownTimeout"/>,
    /// then counts anything left as dropped (<see cref="DropReason.Shutdown"/>), and returns once
    /// <see cref="MessageDropped"/> has reported every drop (handlers still running at the deadline get 250 ms more; the
    /// reports still waiting after those 250 ms are made summed per reason). With <see cref="GrowlyticsOptions.StorageDirectory"/>,
    /// what memory holds is written to the folder first and kept there for the next start (not counted dropped), and the
    /// process-wide session is saved there: within
    /// the deadline and, once it has passed or <paramref name="cancellationToken"/> is cancelled, within 250 ms more, so a
    /// zero <see cref="GrowlyticsOptions.ShutdownTimeout"/> or a token already cancelled keeps it too; what a stalled disk
    /// has not taken by then is counted dropped. A write still running then (a slow disk: one that deletes segments for
    /// <see cref="GrowlyticsOptions.MaxStorageBytes"/> at a few milliseconds each) ends in the background, and its messages
    /// are counted when it ends (kept in the folder, or dropped by the bound), so <see cref="Statistics"/> may still move
    /// by them just after this returns; the folder is released once it has ended. Past the deadline it still ends the requests in
    /// flight, counts what memory holds (about 2 µs a message on an idle core, several times that on a busy one) and, with
    /// <see cref="GrowlyticsOptions.StorageDirectory"/>, saves the read position (one write flushed to disk) and releases
    /// the folder: with 60,000 messages left it returned 0.1 s after the deadline on an idle core, 0.25-0.55 s after it
    /// with the process sharing one core with two busy ones (handlers that take longer add up to 250 ms).
    /// With the circuit breaker open until after the deadline and no request on the wire (an app closed offline), nothing
    /// can be delivered in the time left: the delivery attempt ends at once instead of waiting the deadline out. With
    /// <see cref="GrowlyticsOptions.StorageDirectory"/> and every message left in the folder, so it does once each batch
    /// left waits for a retry due after the deadline, or for one after attempts the service did not answer (a refused
    /// connection, a timeout) with no answer since; the messages stay in the folder for the next start.
    /// A call on another thread that raced the shutdown (accepted as it began) is counted dropped
    /// (<see cref="DropReason.Shutdown"/>) on the thread pool, and may be reported just after this returns.
    /// Safe to call more than once, also concurrently: every call returns when the one shutdown has completed.
    /// Its steps and its deadline's timer run on the thread pool: in a process whose pool threads are all blocked it
    /// completes only once threads free up, past its deadline (with 200 work items blocked for 10 s on 2 cores, 91 s with
    /// a 2 s <see cref="GrowlyticsOptions.ShutdownTimeout"/>, every message dropped). <see cref="Dispose"/> bounds its
    /// wait in real time.
    /// </summary>
    /// <param name="cancellationToken">Ends the delivery attempt early (the token of any call to this method does).</param>
    /// <returns>A task that completes when the client has shut down.</returns>
    public Task ShutdownAsync(CancellationToken cancellationToken = default)
    {
        Task shutdown;
        lock (_counters)
        {
            if (_shutdown is null)
            {
                // Seen by calls from here on, also while the shutdown runs synchronously up to its first wait.
                _shuttingDown = true;
                EndEarlyWith(cancellationToken);
                _shutdown = OutsideDroppedHandler(() => ShutdownCoreAsync(_shutdownCancel.Token));
                return _shutdown;
            }

            shutdown = _shutdown;
        }

        if (!shutdown.IsCompleted)
        {
            EndEarlyWith(cancellationToken);
        }

        return shutdown;
    }

    // A caller's token cancels the one shutdown's delivery attempt; the registration goes when the shutdown has completed.
    // (The source is never disposed: a token cancelled later must find it usable.)
    private void EndEarlyWith(CancellationToken cancellationToken)
    {
        if (!cancellationToken.CanBeCanceled)
        {
            return;
        }

        var registration = cancellationToken.Register(static state => ((CancellationTokenSource)state!).Cancel(), _shutdownCancel);
        if (_shutdown is { } shutdown)
        {
            _ = shutdown.Then(static (_, state) => ((CancellationTokenRegistration)state!).Dispose(), registration);
        }
        else
        {
            _firstShutdownRegistration = registration;
        }
    }

    /// <summary>Shuts the client down as <see cref="ShutdownAsync"/> does.</summary>
    /// <returns>A task that completes when the client has shut down.</returns>
    public ValueTask DisposeAsync() => new(ShutdownAsync());

    /// <summary>
    /// Shuts the client down, blocking for at most about <see cref="GrowlyticsOptions.ShutdownTimeout"/> (one second more
    /// than it, the 250 ms the storage folder's last write gets after it with <see cref="GrowlyticsOptions.StorageDirectory"/>
    /// and the 250 ms handlers get after it, for the work <see cref="ShutdownAsync"/> does past its deadline: then
    /// it returns and logs event 2017, the shutdown going on in the background, as when the thread pool is starved, the
    /// process gets too little CPU (a machine or container far busier than its cores) or the storage disk stalls). That
    /// bound is real time, not <see cref="GrowlyticsOptions.TimeProvider"/>'s:
    /// a starved pool cannot run that provider's timers. A fault the shutdown ended with is rethrown as it is.
    /// The work runs on the thread pool, so this does not deadlock under a <see cref="SynchronizationContext"/>. Called from
    /// a <see cref="MessageDropped"/> handler it starts the shutdown and returns at once: the shutdown may be waiting for
    /// that handler. (Do not block on <see cref="ShutdownAsync"/> in a handler.)
    /// </summary>
    public void Dispose()
    {
        if (ReferenceEquals(InDroppedHandler.Value, this))
        {
            // From a MessageDropped handler: waiting here would wait for the handler itself (the shutdown waits for the
            // reports), so the shutdown goes on, on the thread pool, without it.
            _ = Task.Run(() => ShutdownAsync());
            return;
        }

        DisposeWithinBound();
    }

    /// <summary>
    /// Shuts the client down as <see cref="Dispose"/> does, waiting for it (within the same bound) even in the async flow of
    /// a <see cref="MessageDropped"/> handler: for a process about to end (an unhandled exception thrown after an
    /// <c>await</c> in an <c>async void</c> handler carries that flow), where returning at once would lose what is queued.
    /// The crashing code is not running inside the handler's call (that call catches what a handler throws), so the
    /// shutdown does not wait for it.
    /// </summary>
    internal void DisposeAtProcessEnd() => DisposeWithinBound();

    private void DisposeWithinBound()
    {
        // Bounded: every step of the shutdown, its deadline's timer included, needs a thread of the pool, so in a process
        // whose pool threads are all blocked the wait would last as long as they are (over a minute, seen).
        var shutdown = Task.Run(() => ShutdownAsync());
        var bound = _options.ShutdownTimeout + (_durable is null ? TimeSpan.Zero : StorageWriteGrace) + ReportGrace + DisposeMargin;
        bool ended;
        try
        {
            ended = shutdown.Wait(bound);
        }
        catch (AggregateException)
        {
            // Ended with a fault: rethrown below as it is, not wrapped.
            ended = true;
        }

        if (!ended)
        {
            Log.DisposeReturnedBeforeShutdown(_logger, bound);

            // Ends later, on its own: a fault it may end with is observed, not left to the finalizer.
            _ = shutdown.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            return;
        }

        shutdown.GetAwaiter().GetResult();
    }

    private async Task ShutdownCoreAsync(CancellationToken cancellationToken)
    {
        try
        {
            await ShutdownStepsAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _firstShutdownRegistration.Dispose();
            Growlytics.Closed(this);
            AfterShutdown?.Invoke();
        }
    }

    private async Task ShutdownStepsAsync(CancellationToken cancellationToken)
    {
        // One deadline for the whole shutdown: the session file and the storage writer count against it too.
        var started = _options.TimeProvider.GetTimestamp();
        Growlytics.Detach(this);

        // A deletion of local data that began before the shutdown ends first: its messages dropped, its files deleted while
        // this client still holds the folder. (Read under the lock ShutdownAsync holds: none begins after this.)
        var deletions = _deletions;
        if (!deletions.IsCompleted)
        {
            await WaitWithinShutdownAsync(deletions, started, cancellationToken).ConfigureAwait(false);
        }

        // REST: anonymous attributes that wait for a login will not get one in this process.
        var heldAtShutdown = _heldStore?.Close() ?? default;

        if (_durable is not null)
        {
            // A client still waiting for its folder (held by a client shutting down) tries once more to take it over, so
            // that what it kept in memory meanwhile can be written there below, and its session persisted.
            await WaitWithinShutdownAsync(_durable.LastTakeOverAsync(), started, cancellationToken).ConfigureAwait(false);
        }

        if (_sessionStore is not null)
        {
            await WaitWithinShutdownAsync(_sessionStore.FlushAsync(), started, cancellationToken).ConfigureAwait(false);
        }

        // Kept only if the file in a folder this client holds (one it never took over has none of them) holds them all, with
        // nothing left to write; checked under the session's lock, with no push able to join them since the shutdown began.
        var processHeld = _processUser?.CloseHeld(calls => _sessionStore is not null && WritesSessionFile && _sessionStore.Holds(calls)) ?? 0;
        if (processHeld > 0 && _sessionStore is not null)
        {
            // Saved without them (see CloseHeld).
            await WaitWithinShutdownAsync(_sessionStore.FlushAsync(), started, cancellationToken).ConfigureAwait(false);
        }

        if (heldAtShutdown.Calls + processHeld > 0)
        {
            // One line for both: the visitors' scoped sessions and the process-wide one.
            Log.HeldAttributesAtShutdown(_logger, heldAtShutdown.Calls + processHeld, heldAtShutdown.Sessions + (processHeld > 0 ? 1 : 0));
        }

        var writer = Task.CompletedTask;
        _queue.Complete();
        if (_durable is not null)
        {
            // What memory holds is written to the folder within the deadline, and, once it or the token has passed, within
            // StorageWriteGrace more for these steps in all (not cut short by the token): a deadline of zero or a host that
            // spent its stop budget still keeps it there. (Set once the grace began: the timestamp it began at.)
            long? graceBegan = null;
            async Task WaitForStorageAsync(Task step)
            {
                if (graceBegan is null)
                {
                    if (await WaitWithinShutdownAsync(step, started, cancellationToken).ConfigureAwait(false))
                    {
                        return;
                    }

                    graceBegan = _options.TimeProvider.GetTimestamp();
                }

                var left = StorageWriteGrace - _options.TimeProvider.GetElapsedTime(graceBegan.Value);
                await WaitAtMostAsync(step, left, CancellationToken.None).ConfigureAwait(false);
                if (step.IsFaulted)
                {
                    // It logs its own fault; observed here so none goes unobserved.
                    _ = step.Exception;
                }
            }

            // Everything accepted goes to disk first; what delivery cannot send in time stays there for the next start.
            // Messages that went to memory (the disk failing, the folder held by another client) and are in no request
            // go too, now that the folder is this client's and its disk works: a disk that failed is tried again first,
            // as nothing may have been written since it came back.
            if (_memory.SentWithoutStorage || _memory.HoldsHandedBack)
            {
                await WaitForStorageAsync(_durable.TryDiskAgainAsync()).ConfigureAwait(false);
            }

            if (_durable.IsBuffer && (_memory.SentWithoutStorage || _memory.HoldsHandedBack))
            {
                await WaitForStorageAsync(_dispatcher.ReturnToStorageAsync()).ConfigureAwait(false);
            }
            else
            {
                // Nothing handed back goes to the writer: it stores the messages it would hand back behind one.
                _memory.EndHandingBackInOrder();
            }

            writer = _durable.StopWriterAsync();
            await WaitForStorageAsync(writer).ConfigureAwait(false);
            if (_sessionStore is not null && writer.IsCompleted)
            {
                // A folder taken over as the writer stopped had the session written then (DurableQueue.TakenOver). Within the
                // same grace as what memory holds: with no time left (a zero ShutdownTimeout, a host that spent its stop
                // budget) a login or logout was otherwise written only after this returned, and the folder released then:
                // a process that ended meanwhile started its next run with the previous user, and a client made at once
                // found the folder held and read the session as it was before.
                await WaitForStorageAsync(_sessionStore.FlushAsync()).ConfigureAwait(false);
            }
        }

        var left = _options.ShutdownTimeout - _options.TimeProvider.GetElapsedTime(started);
        await _dispatcher.StopAsync(left > TimeSpan.Zero ? left : TimeSpan.Zero, ReportGrace, cancellationToken).ConfigureAwait(false);

        if (_durable is { } durable)
        {
            // A writer still busy at the deadline or the cancellation (a slow disk) releases the folder once it stops, so a
            // later client can take the folder over; it is never closed under the writer, nor under a session write that
            // waited for the writer's last commit (another client could take the folder over in between).
            var released = _sessionStore is { } sessionStore
                ? writer.Then(static (_, state) => ((SessionStore)state!).FlushAsync(), sessionStore).Unwrap()
                : Task.CompletedTask;
            _ = Task.WhenAll(writer, released).Then(
                static (done, state) => CloseStorage(done, (DurableQueue)state!),
                durable);
        }

        // The drops counted along the way (the shutdown's own among them) are reported before this returns: no
        // MessageDropped after the client has shut down. A handler slower than the time left gets a short grace at most.
        // Not cut short by the token, only bounded by the grace. (A handler that disposes the client does not block on
        // this: see Dispose.)
        var reported = _bulkDrops.WhenReportedAsync();
        if (!reported.IsCompleted)
        {
            var toDeadline = cancellationToken.IsCancellationRequested
                ? TimeSpan.Zero
                : _options.ShutdownTimeout - _options.TimeProvider.GetElapsedTime(started);
            await WaitAtMostAsync(reported, toDeadline > ReportGrace ? toDeadline : ReportGrace, CancellationToken.None).ConfigureAwait(false);
            if (!reported.IsCompleted && !_dispatcher.HandlerHeldLogged)
            {
                // A handler of a summed report still runs: not waited for (event 2016), as for the loop's reports.
                Log.DropHandlerHeldAtShutdown(_logger);
            }
        }

        // Handler faults counted since the last line of their interval (event 1010) would be in no line: logged now, once.
        if (_handlerFaults.TakeUnreported() is var faults and > 0)
        {
            Log.DroppedHandlerFault(_logger, Volatile.Read(ref _latestHandlerFault) ?? "unknown", faults);
        }

        // The warnings calls triggered before this come before the totals (and are written in a process about to end).
        (_callLogger as OffCallerLogger)?.Flush();

        // Drops already logged within their interval (events 2004, 2005, 2008, and kept messages refused again, 2014) are
        // in no other line: what was counted since is logged now, once.
        _sender.ReportUnreportedRefusals();
        _dispatcher.ReportUnreportedBlockingDrops();
        LogTotals();

        // What this client's calls left in the pool beyond what it keeps when quiet goes (a process that no longer sends).
        MessagePool.TrimToQuiet();
        _meter.Dispose();
        ReleaseDelivery();
    }

    private void ReleaseDelivery()
    {
        _dispatcher.Dispose();
        _ownedHttp?.Dispose();
    }

    // One line with the totals: what the interval-limited warnings had counted but not yet reported is in them (drops by
    // reason, retries, and the invalid calls InvalidInputHandling.Drop refused, which are never accepted). A few reads at
    // most (a call racing the shutdown may be counted in two steps): the shutdown's time is spent.
    private void LogTotals()
    {
        if (!_logger.IsEnabled(LogLevel.Information))
        {
            return;
        }

        GrowlyticsStatistics totals;
        try
        {
            totals = _counters.Snapshot(_enginePending, attempts: 64);
        }
#pragma warning disable CA1031 // The totals are a courtesy: nothing may stop the shutdown from releasing what it holds.
        catch (Exception)
#pragma warning restore CA1031
        {
            return;
        }

        var reasons = new StringBuilder();
        foreach (var pair in totals.DroppedByReason)
        {
            if (pair.Value > 0)
            {
                reasons.Append(reasons.Length == 0 ? string.Empty : ", ").Append(pair.Key).Append(' ').Append(pair.Value.ToString(CultureInfo.InvariantCulture));
            }
        }

        var reasonText = reasons.Length == 0 ? "none" : reasons.ToString();
        if (_durable is null or { Unusable: true } or { HeldFolder: false })
        {
            Log.ShutdownTotalsInMemory(_logger, totals.Enqueued, totals.Delivered, totals.Dropped, reasonText, totals.Pending, totals.Retried, totals.InvalidInputs);
        }
        else
        {
            Log.ShutdownTotalsStored(_logger, totals.Enqueued, totals.Delivered, totals.Dropped, reasonText, totals.Pending, totals.Retried, totals.InvalidInputs);
        }
    }

    private static void CloseStorage(Task writer, DurableQueue durable)
    {
        // The writer logs its own faults; observed here so none goes unobserved.
        _ = writer.Exception;
        try
        {
            durable.Close();
        }
        finally
        {
            // Released whatever Close met, so a later client can take the folder over.
            durable.Dispose();
        }
    }

    private async Task<bool> WaitWithinShutdownAsync(Task task, long started, CancellationToken cancellationToken)
    {
        await WaitAtMostAsync(task, _options.ShutdownTimeout - _options.TimeProvider.GetElapsedTime(started), cancellationToken).ConfigureAwait(false);

        if (task.IsFaulted)
        {
            // Both tasks log their own faults; observed here so none goes unobserved.
            _ = task.Exception;
        }

        return task.IsCompleted;
    }

    private async Task WaitAtMostAsync(Task task, TimeSpan limit, CancellationToken cancellationToken)
    {
        if (!task.IsCompleted && limit > TimeSpan.Zero)
        {
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            await Task.WhenAny(task, Polyfills.TaskCompat.Delay(_options.TimeProvider, limit, stop.Token)).ConfigureAwait(false);
            stop.Cancel();
        }
    }
}
