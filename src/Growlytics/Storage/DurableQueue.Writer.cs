using GrowlyticsSdk.Diagnostics;
using GrowlyticsSdk.Polyfills;
using GrowlyticsSdk.Threading;

namespace GrowlyticsSdk.Storage;

// The writer's loop: takes the folder over when it is released, loads what is stored, then commits, deletes and saves
// the position at each turn until it is stopped.
internal sealed partial class DurableQueue
{
    // The writer's own: whether event 4018 was logged since this client last held its folder.
    private bool _folderHeldElsewhere;

    // Set by the writer while another client holds the folder made again at this one's path (see HoldsFolder).
    private volatile bool _heldByAnother;

    // The writer's own: whether its latest save of the position failed (the writer then keeps turning to save it).
    private bool _ackSaveFailed;

    // Saves the position at each commit interval once the writer has stopped, until the store closes (under _gate).
    private ITimer? _positionSaver;

    /// <summary>The most segment files found holding no record at start that one writer turn deletes.</summary>
    internal const int SpentFilesPerTurn = 64;

    // The writer's own: the segment files the load found holding no record (a header alone, or emptied), not deleted yet.
    private Queue<string>? _spent;

    /// <summary>
    /// Deletes up to <see cref="SpentFilesPerTurn"/> of the segment files the load found holding no record: a folder may
    /// hold tens of thousands (a writer that started a segment at each start, or on a full disk), and deleted all at once
    /// before the restore they held up delivery for as long as the disk takes (milliseconds each on some disks). Runs on
    /// the writer while it holds the folder; what is left at shutdown is found again, and deleted, at the next start.
    /// </summary>
    private void DeleteSpentFiles()
    {
        if (_spent is not { } spent)
        {
            return;
        }

        for (var i = 0; i < SpentFilesPerTurn && spent.Count > 0 && !_closed; i++)
        {
            StorageFiles.TryDelete(spent.Dequeue());
        }

        if (spent.Count == 0)
        {
            _spent = null;
        }
    }


    /// <summary>Logs the damaged records found since the last call, once for all of them; never under the store's lock.</summary>
    private void LogDamage()
    {
        if (Interlocked.Exchange(ref _damageToLog, 0) is > 0 and var damaged)
        {
            Log.StorageDamaged(_logger, damaged);
        }
    }

    /// <summary>
    /// Tries once to take the folder over. Released, it may still be unusable for a while (replaced by a file, not
    /// writable): the cause is logged once, when it changes, and the writer keeps trying; memory delivers meanwhile. The
    /// last try, at shutdown, logs no such wait (<paramref name="logWaiting"/> is <see langword="false"/>).
    /// </summary>
    private bool TryTakeOver(ref StorageFolder.Problem lastProblem, bool logWaiting)
    {
        _folder = StorageFolder.TryTake(_directory, _logger, log: false, out var problem);
        if (_folder is null && logWaiting && problem != lastProblem && problem != StorageFolder.Problem.HeldByOther)
        {
            Log.StorageTakeOverWaits(
                _logger,
                problem == StorageFolder.Problem.NotAFolder ? "the path names a file, not a folder" : "the folder or its lock file cannot be created or opened",
                TakeOverInterval);
        }

        lastProblem = problem;
        if (_folder is not null)
        {
            Log.StorageTakenOver(_logger);
        }

        _options.AfterTakeOverTry?.Invoke(_folder is not null);
        return _folder is not null;
    }

    /// <summary>
    /// Gets a value indicating whether another client holds the folder at this client's path, made again there after the
    /// folder was removed while this client ran (see <see cref="HoldsFolder"/>): this client writes and deletes nothing
    /// there meanwhile, its session file included. Seen when the writer next looks (at its next turn or write).
    /// </summary>
    public bool HeldByAnother => _heldByAnother;

    /// <summary>Whether another client made the folder again at this client's path (asked by the log, under the lock).</summary>
    private bool FolderReplaced() => _folder is { Lock: StorageFolder.LockState.Other };

    /// <summary>
    /// Gets or sets what runs on the writer once it holds the folder at its path again (see <see cref="HoldsFolder"/>):
    /// the client saves its session there.
    /// </summary>
    public Action? FolderTakenAgain { get; set; }

    /// <summary>
    /// On the writer, before it writes to the folder: returns whether this client still holds it (see
    /// <see cref="StorageFolder.Lock"/>). Its lock file gone (the folder removed, or the file deleted), the folder at that
    /// path is taken again (made again if need be): the segments whose files are gone are read no more, as for any missing
    /// file, and the segment being written, if gone, is written to no more. Another client's lock file there means that
    /// client made the folder again: every segment tracked so far is taken as gone with the old folder (a file of the
    /// same name there is that client's), and once this client takes it (that client gone) it saves no position, as what
    /// that client left there was never loaded. Returns <see langword="false"/> when the folder cannot be taken (another
    /// client holds it, or it cannot be made): this client leaves it alone, memory delivers, and the next write tries again.
    /// </summary>
    private bool HoldsFolder()
    {
        if (_folder is not { } folder || folder.Lock is var state && state == StorageFolder.LockState.Held)
        {
            return true;
        }

        // The files found holding nothing at start may have gone with the folder: one of the same name now may be another
        // client's. Any left are found again at the next start.
        _spent = null;

        var taken = StorageFolder.TryTake(_directory, _logger, log: false, out var problem);
        if (state == StorageFolder.LockState.Other || problem == StorageFolder.Problem.HeldByOther)
        {
            lock (_gate)
            {
                _log?.ForgetFolder();
            }
        }

        if (taken is null)
        {
            if (problem == StorageFolder.Problem.HeldByOther)
            {
                // Not this client's folder while the other holds it: no session file written or deleted there either.
                _heldByAnother = true;
                if (!_folderHeldElsewhere)
                {
                    _folderHeldElsewhere = true;
                    Log.StorageFolderHeldElsewhere(_logger, DiskRetryInterval);
                }
            }

            return false;
        }

        // Once another client's, the folder may hold what that client left (even if its lock file went since).
        var highest = HighestIdInUse();

        lock (_gate)
        {
            if (_closed)
            {
                taken.Dispose();
                return false;
            }

            _folder = taken;
            if (_log is { FolderForgotten: true })
            {
                _log?.TakenAgain(highest);
            }
            else
            {
                _log?.SealActiveIfMissing();
            }

            _heldByAnother = false;
        }

        folder.Dispose();
        _folderHeldElsewhere = false;
        Log.StorageFolderTakenAgain(_logger);

        // The session file went with the old folder, or is another client's: this client's session is saved there.
        RunHook(FolderTakenAgain);
        return true;
    }

    /// <summary>Runs a hook of the client's on the writer; a fault is logged and the writer goes on.</summary>
    private void RunHook(Action? hook)
    {
        try
        {
            hook?.Invoke();
        }
#pragma warning disable CA1031 // The writer must outlive any fault; it is logged and the writer goes on.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Log.StorageFault(_logger, ex);
        }
    }

    /// <summary>
    /// At shutdown, while the writer waits to take the folder over: makes it try once more now and completes when that try
    /// has ended, the folder taken over and loaded (this client owns it: what memory holds can be written to it) or the
    /// writer given up (what memory holds stays there). Completes at once when the writer does not wait for the folder.
    /// The writer goes on writing until <see cref="StopWriterAsync"/>.
    /// </summary>
    public Task LastTakeOverAsync()
    {
        if (!_waitingForFolder || _writer.IsCompleted)
        {
            return Task.CompletedTask;
        }

        var done = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        var lastTry = Interlocked.CompareExchange(ref _lastTry, done, null) ?? done;
        _writerWake.Set();
        if (!_waitingForFolder)
        {
            // Taken over (and its session saved) after the check above, before the writer could see the request.
            lastTry.TrySetResult(true);
        }

        // The writer ends the wait itself if it ends some other way (a fault, a stop).
        return Task.WhenAny(lastTry.Task, _writer);
    }

    private async Task RunWriterAsync()
    {
        var lastProblem = StorageFolder.Problem.HeldByOther;
        var takingOver = _waitingForFolder;
        while (_folder is null)
        {
            // Read before each try, so the writer gives up only after a try that began once the shutdown had: the folder may
            // be released just after a try that found it held, with the shutdown's wake coming during that try. Taken
            // then, the shutdown delivers what the previous client left.
            var last = IsStopping;
            if (!last)
            {
                await Task.WhenAny(_writerWake.WaitAsync(), TaskCompat.BackgroundDelay(_time, TakeOverInterval)).ConfigureAwait(false);
                _writerWake.Reset();
                last = IsStopping;
            }

            if (!TryTakeOver(ref lastProblem, logWaiting: !last) && last)
            {
                Volatile.Read(ref _lastTry)?.TrySetResult(false);
                return;
            }
        }

        if (takingOver)
        {
            // As at a start that finds the folder free (see TakeFolder): a session file's temporary copy here now was left
            // by a process killed while writing it (this client wrote none while it did not hold the folder, and no other
            // client writes here now). Deleted before the load enforces MaxStorageBytes, and also when this client keeps
            // no session file (SessionMode.RequireScope), which nothing else would delete.
            Sessions.SessionStore.DeleteTemporaries(_directory);
        }

        LoadSafely();
        _owner = true;
        _heldFolder = true;
        if (takingOver)
        {
            // Memory's queue is the writer's from now on (IsBuffer): a read of it the delivery loop began before, while the
            // folder was another client's, ends before the writer takes anything from it. Otherwise the writer could store a
            // user's message that read had not reached yet while the read went on to send newer ones from memory.
            RunHook(QueueTakenOver);
            RunHook(TakenOver);
        }

        // A shutdown waiting for the last try (see LastTakeOverAsync) learns that the folder is this client's now, its
        // session saved. Read with a full fence after the flag is cleared: a shutdown that asks after this read sees the
        // flag cleared itself.
        _waitingForFolder = false;
        Interlocked.CompareExchange(ref _lastTry, null, null)?.TrySetResult(true);

        while (true)
        {
            var rests = false;
            try
            {
                _writerWake.Reset();
                var stopping = _stopping;
                var quietBefore = IsQuiet();
                RunDeletes();
                Commit();
                var holds = HoldsFolder();
                if (holds)
                {
                    DeleteSpentFiles();
                    ExpireIfDue();
                    lock (_gate)
                    {
                        TrySaveAck();
                    }
                }

                LogDamage();
                rests = !stopping && holds && quietBefore && MayRest();

                if (stopping)
                {
                    // No flush waits after this: one asked from now on completes at once (see FlushAsync).
                    CompleteFlushes(TakeFlushes(close: true));
                    RunDeletes();
                    KeepSavingPosition();
                    return;
                }
            }
#pragma warning disable CA1031 // The writer must outlive any fault; it is logged and the writer goes on.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                Log.StorageFault(_logger, ex);
            }

            // Idle (nothing stored unsettled, nothing in memory for the disk), it waits for the next message, a flush, a
            // deletion or a hand-back instead of turning at every commit interval: five turns a second in an idle app. (A
            // commit interval longer than the idle one is kept: resting never makes the writer turn more often.)
            var wait = rests && IdleInterval > _options.StorageCommitInterval ? IdleInterval : _options.StorageCommitInterval;
            // Outside the try: a fault of the app's TimeProvider here must not end the writer (see BackgroundDelay).
            await Task.WhenAny(_writerWake.WaitAsync(), TaskCompat.BackgroundDelay(_time, wait)).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Once the writer has stopped, the shutdown still delivers what is stored (for up to its timeout): the position is
    /// saved at each commit interval meanwhile, as the writer's turns saved it, until the store closes. Saved only at the
    /// close, a process killed while the shutdown delivered (a service manager's stop timeout) sent everything that
    /// delivery had settled again at the next start, where a kill sends again only what was settled within the last interval.
    /// </summary>
    private void KeepSavingPosition()
    {
        lock (_gate)
        {
            if (!_closed && _positionSaver is null)
            {
                _positionSaver = BackgroundWork.CreateTimer(
                    _time, static state => ((DurableQueue)state!).SavePositionAfterStop(), this, _options.StorageCommitInterval, _options.StorageCommitInterval);
            }
        }
    }

    private void SavePositionAfterStop()
    {
        lock (_gate)
        {
            if (!_closed && _log is not null)
            {
                TrySaveAck();
            }
        }
    }

    /// <summary>Stops the saves <see cref="KeepSavingPosition"/> started; under the lock.</summary>
    private void StopSavingPositionLocked()
    {
        _positionSaver?.Dispose();
        _positionSaver = null;
    }

    /// <summary>
    /// Whether the writer has nothing to do but wait for work: the folder is its own and the disk works, nothing stored
    /// is unsettled (its position was saved at this turn, having been quiet since the turn began), memory holds nothing
    /// for it, and no flush or deletion waits.
    /// </summary>
    private bool IsQuiet()
    {
        if (_failing || _closed || _stopping || _heldByAnother || _ackSaveFailed || _spent is not null || _heldForRoom is not null || Pending != 0 || (ForStorage?.Invoke() ?? 0) != 0)
        {
            return false;
        }

        lock (_flushes)
        {
            if (_flushes.Count != 0)
            {
                return false;
            }
        }

        lock (_deletes)
        {
            return _deletes.Count == 0;
        }
    }

    /// <summary>
    /// Asks to be woken by the next message for the disk, then checks again that nothing came meanwhile (a message put
    /// in before the request would wake nobody).
    /// </summary>
    private bool MayRest()
    {
        if (WakeOnNextMessage is not { } arm)
        {
            return false;
        }

        arm();
        return IsQuiet();
    }
}
