#if NET
using GrowlyticsSdk.Diagnostics;

namespace GrowlyticsSdk;

// A signal that is about to end the process (Ctrl+C, SIGTERM, SIGHUP): what is pending delivered or written to the folder
// within the shutdown's bound.
public sealed partial class GrowlyticsClient
{
    /// <summary>
    /// The app goes on calling while <see cref="FlushForExitSignal"/> waits for delivery (a signal does not stop it), and its
    /// calls are in memory until the writer's next commit, which may come after the process ended with the handler:
    /// they are written to the folder too, within <paramref name="grace"/>: what is left of <see cref="StorageWriteGrace"/>
    /// past the handler's bound (all of it when the handler's own writes ended within the bound).
    /// </summary>
    private void WriteCallsMadeDuringExitSignalFlush(TimeSpan grace)
    {
        if (_durable is not { } durable || IsShutDown || grace <= TimeSpan.Zero)
        {
            return;
        }

        try
        {
            using var graceLeft = new CancellationTokenSource(grace, _options.TimeProvider);
            durable.WriteHeldForRoom();
            durable.FlushAsync(graceLeft.Token).GetAwaiter().GetResult();
        }
#pragma warning disable CA1031 // A slow disk, or the client shut down meanwhile: what is left is logged by the caller.
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }

    /// <summary>
    /// The facade's handler (.NET 10 and later) of a signal that is about to end the process (Ctrl+C, SIGTERM, SIGHUP, which
    /// do not raise <see cref="AppDomain.ProcessExit"/> there): within <see cref="GrowlyticsOptions.ShutdownTimeout"/>,
    /// writes what memory holds to the storage folder (with one; its writes get <see cref="StorageWriteGrace"/> more in all
    /// once the timeout has passed, as at shutdown, so a zero timeout keeps it too), then delivers what it can, writes what calls queued
    /// meanwhile (<see cref="WriteCallsMadeDuringExitSignalFlush"/>), and logs what is left. The
    /// client keeps running, in case another handler keeps the process alive; a shutdown the app began meanwhile is waited
    /// for (<see cref="WaitForShutdownOnExitSignal"/>). A second signal while this runs returns at once, so that one ends
    /// the process without waiting.
    /// </summary>
    internal void FlushForExitSignal(string signal)
    {
        if (Interlocked.Exchange(ref _signalFlushing, 1) != 0)
        {
            return;
        }

        try
        {
            using var bound = new CancellationTokenSource(_options.ShutdownTimeout, _options.TimeProvider);

            // The storage writes get the bound and, once it has passed, StorageWriteGrace more in all, as at shutdown: a
            // zero ShutdownTimeout still writes what memory holds to the folder. (Set once the grace began.)
            long? graceBegan = null;
            void WaitForStorage(Task step)
            {
                if (graceBegan is null)
                {
                    try
                    {
                        step.WaitAsync(bound.Token).GetAwaiter().GetResult();
                        return;
                    }
                    catch (OperationCanceledException) when (bound.IsCancellationRequested)
                    {
                        graceBegan = _options.TimeProvider.GetTimestamp();
                    }
                }

                step.WaitAsync(GraceLeft(graceBegan.Value), _options.TimeProvider).GetAwaiter().GetResult();
            }

            try
            {
                if (_durable is { } durable)
                {
                    // Messages that went to memory (the disk failing, the folder held by another client) go to the folder
                    // first, as at shutdown: the signal usually ends the process, and memory with it. If the process goes
                    // on, the client sends them from the folder. (Not once a shutdown has begun: it hands them over itself,
                    // and its loop may have ended, when the hand-back would run on this thread beside the shutdown's.)
                    if ((_memory.SentWithoutStorage || _memory.HoldsHandedBack) && !IsShutDown)
                    {
                        WaitForStorage(durable.TryDiskAgainAsync());
                        if (durable.IsBuffer && !IsShutDown)
                        {
                            WaitForStorage(_dispatcher.ReturnToStorageAsync());
                        }
                    }

                    durable.WriteHeldForRoom();
                    WaitForStorage(durable.FlushAsync(CancellationToken.None));
                    WaitForStorage(FlushSessionFileAsync());
                }

                FlushAsync(bound.Token).GetAwaiter().GetResult();
            }
#pragma warning disable CA1031 // Out of time, or the client shut down meanwhile: what is left is logged below.
            catch (Exception)
#pragma warning restore CA1031
            {
            }

            WriteCallsMadeDuringExitSignalFlush(graceBegan is { } began ? GraceLeft(began) : StorageWriteGrace);

            var pending = Statistics.Pending;
            if (pending == 0)
            {
                Log.FlushedOnExitSignal(_logger, signal);
            }
            else if (_disk is { DroppedFromFolder: > 0 and var droppedFromFolder })
            {
                // Still pending, as their request may yet deliver them, but not in the folder for the next start.
                Log.PendingAtExitSignalDroppedFromFolder(_logger, pending, Math.Min(droppedFromFolder, pending), signal);
            }
            else if (_durable is not null)
            {
                Log.PendingAtExitSignalStored(_logger, pending, signal);
            }
            else
            {
                Log.PendingAtExitSignal(_logger, pending, signal);
            }
        }
#pragma warning disable CA1031 // A logging provider's fault must not keep the process from ending.
        catch (Exception)
#pragma warning restore CA1031
        {
        }
        finally
        {
            // The handler has written what was pending: if the process goes on (another handler cancelled the signal), the
            // writer holds awaited updates for room again.
            _durable?.HoldForRoomAgain();
            Volatile.Write(ref _signalFlushing, 0);
        }

        if (IsShutDown)
        {
            // The app began its shutdown meanwhile: it writes what memory holds to the folder, and the process ends when the
            // handler returns.
            WaitForShutdownOnExitSignal();
        }
    }

    // What is left of the StorageWriteGrace that began at the timestamp given.
    private TimeSpan GraceLeft(long graceBegan)
    {
        var left = StorageWriteGrace - _options.TimeProvider.GetElapsedTime(graceBegan);
        return left > TimeSpan.Zero ? left : TimeSpan.Zero;
    }

    /// <summary>
    /// The facade's handler of a signal that is about to end the process, while a shutdown runs (started by the app, or
    /// during the signal's flush): waits for it as <see cref="Dispose"/> does, within the same bound, so the process does
    /// not end in the middle of it (what memory holds written to the folder, the last deliveries). A second signal while
    /// this waits returns at once, so that one ends the process without waiting.
    /// </summary>
    internal void WaitForShutdownOnExitSignal()
    {
        if (Interlocked.Exchange(ref _signalFlushing, 1) != 0)
        {
            return;
        }

        try
        {
            DisposeWithinBound();
        }
#pragma warning disable CA1031 // The shutdown logs its own faults; nothing may keep the process from ending.
        catch (Exception)
#pragma warning restore CA1031
        {
        }
        finally
        {
            Volatile.Write(ref _signalFlushing, 0);
        }
    }
}
#endif
