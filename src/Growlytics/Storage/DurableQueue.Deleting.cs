using GrowlyticsSdk.Diagnostics;
using GrowlyticsSdk.Messages;

namespace GrowlyticsSdk.Storage;

/// <summary>The stored queue's side of deleting local data: every record dropped and its files deleted, on the writer.</summary>
internal sealed partial class DurableQueue
{
    private readonly List<(TaskCompletionSource<bool> Done, DropReason Reason)> _deletes = [];

    private int _lastDeleteFailures;

    /// <summary>
    /// Drops every stored record as <paramref name="reason"/> (records being sent are settled by their readers) and deletes
    /// the segment files, <c>queue.ack</c> and <c>queue.settled</c>; the folder and <c>queue.lock</c> stay, and writing goes on. Runs on the writer
    /// between two commits, so a message it took before the call is written first and deleted with the rest (one it holds
    /// for room is dropped, counted as <paramref name="reason"/>). Completes
    /// at once when this client does not hold the folder (nothing of its own is stored). Never faults: a file that cannot
    /// be deleted is logged.
    /// </summary>
    public Task DeleteAllAsync(DropReason reason)
    {
        lock (_gate)
        {
            if (_log is null && !_closed)
            {
                // Not loaded yet (another client holds the folder, or the writer took it and loads it now: a large backlog
                // takes seconds): what it holds was stored before the deletion, so it is dropped and its files deleted as it
                // loads, never read nor sent (as for an opt-out, see OptingOut). The load reads this under the same lock.
                DropAtLoad = reason;
            }

            if (_folder is null && _log is null)
            {
                // Not this client's folder yet: nothing of its own is stored there, and nothing is left for the writer.
                Volatile.Write(ref _lastDeleteFailures, 0);
                return Task.CompletedTask;
            }
        }

        var done = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_deletes)
        {
            _deletes.Add((done, reason));
        }

        _writerWake.Set();
        if (_writer.IsCompleted)
        {
            // No writer runs (not started, or stopped): nothing writes meanwhile.
            RunDeletes();
        }

        return done.Task;
    }

    /// <summary>
    /// Saves at once a position past every stored segment, kept until <see cref="DeleteAllAsync"/> has run: if the process
    /// ends before the files are deleted, the next start deletes them (see <see cref="SegmentLog.TryMarkDeleting"/>). Call
    /// first when a deletion begins; does nothing before the folder is loaded or after it is closed.
    /// </summary>
    public void MarkDeleting()
    {
        lock (_gate)
        {
            if (!_closed && _log is { } log && _folder is not { IsReplaced: true })
            {
                log.TryMarkDeleting();
            }
        }
    }

    /// <summary>
    /// Called as the user opts out, before the engine drops what it holds: when the folder could not be read at start (the
    /// stored queue saves no position, see <see cref="SegmentLog.SavesPosition"/>), saves a position past every segment
    /// in it, so nothing stored before the opt-out is read at the next start, the files not read included, even once the
    /// user has opted back in (<see cref="SegmentLog.PassEverySegment"/>: on the caller's thread, under the store's lock;
    /// if the disk does not take it now, the writer saves it before any other position). Otherwise nothing to do here,
    /// without the lock: the engine drops the stored records and their position is saved. A folder not loaded yet is
    /// dropped as it loads (<see cref="DropAtLoad"/>), even once the user has opted back in.
    /// </summary>
    public void OptingOut()
    {
        // Checked first without the lock, which the writer holds through a slow write: nearly always the position is saved,
        // and the caller (the app's thread) does not wait for the disk. Not loaded yet: under the lock, which the load takes
        // to read DropAtLoad and install the log, so either the load drops the folder or this passes over it.
        if (Volatile.Read(ref _log) is { SavesPosition: true })
        {
            return;
        }

        lock (_gate)
        {
            if (_closed)
            {
                return;
            }

            if (_log is null)
            {
                // Not loaded yet (another client holds the folder, or the writer has not started): what it holds was
                // stored before the opt-out, so it is dropped as it loads, as for a client that starts opted out, even if
                // the user has opted back in by then. (The load reads this under the same lock.)
                DropAtLoad = DropReason.OptedOut;
            }
            else if (_log is { SavesPosition: false } log && _folder is not { IsReplaced: true })
            {
                // (A folder replaced at its path holds nothing of this client's: nothing to pass over there.)
                log.PassEverySegment();
                _writerWake.Set();
            }
        }
    }

    /// <summary>Gets a value indicating whether a deletion waits for the writer to end its commit.</summary>
    private bool DeletionWaiting
    {
        get
        {
            lock (_deletes)
            {
                return _deletes.Count > 0;
            }
        }
    }

    /// <summary>Runs the deletions asked for so far (the writer, between commits; or the caller when no writer runs).</summary>
    private void RunDeletes()
    {
        List<(TaskCompletionSource<bool> Done, DropReason Reason)> deletes;
        lock (_deletes)
        {
            if (_deletes.Count == 0)
            {
                return;
            }

            deletes = [.. _deletes];
            _deletes.Clear();
        }

        try
        {
            DeleteAll(deletes[0].Reason);
        }
#pragma warning disable CA1031 // A deletion that fails is logged; the writer and the caller go on.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Volatile.Write(ref _lastDeleteFailures, 1);
            Log.StorageFault(_logger, ex);
        }
        finally
        {
            foreach (var (done, _) in deletes)
            {
                done.TrySetResult(true);
            }
        }
    }

    private void DeleteAll(DropReason reason)
    {
        var settled = new List<StoredRecord>();
        int notDeleted;
        string? error;
        var held = HoldsFolder();
        UserMessage? heldForRoom;
        lock (_gate)
        {
            if (_closed)
            {
                // Shut down: the folder is released (or about to be), and may already be another client's. What it holds
                // stays, so the deletion is not said to be done.
                Volatile.Write(ref _lastDeleteFailures, 1);
                return;
            }

            // The message of a call that waits for room (see DurableQueue.Holding.cs) was recorded before the deletion: it
            // is dropped with the rest rather than written once the deletion has made room, among the calls made after it.
            heldForRoom = _heldForRoom;
            if (heldForRoom is not null)
            {
                _heldForRoom = null;
                _heldPayload = null;
                _holdingForRoom = false;
                _counters.AddDroppedInBulk(reason, heldForRoom.Calls);
            }

            if (_log is { } kept && !held)
            {
                // Removed while the client ran, and another client holds the folder made again at its path: this client's
                // files went with the old one, and that folder's are not this client's to delete.
                _counters.AddDroppedInBulk(reason, kept.DropAllLeavingFiles(settled) - settled.Sum(r => (long)r.Calls));
                HandOverLocked(settled);
                AfterChange();
                notDeleted = 0;
                error = null;
            }
            else if (_log is { } log)
            {
                notDeleted = DropAndDeleteLocked(log, reason, settled, out error);
            }
            else
            {
                // Not loaded (the writer never started): the files are this client's all the same, as it holds the folder.
                notDeleted = SegmentLog.DeleteFiles(_directory, out error);
            }
        }

        if (heldForRoom is not null)
        {
            // Counted dropped above: memory, which counted it pending while the writer held it, lets it go.
            _written(heldForRoom);
        }

        if (settled.Count > 0)
        {
            OutstandingDropped?.Invoke(settled, reason);
        }

        Volatile.Write(ref _lastDeleteFailures, notDeleted);
        if (notDeleted > 0)
        {
            Log.LocalDataNotDeleted(_logger, notDeleted, error ?? "unknown");
        }
    }

    /// <summary>Gets how many files the latest deletion could neither delete nor empty (0 when it erased everything).</summary>
    public int LastDeleteFailures => Volatile.Read(ref _lastDeleteFailures);

    /// <summary>
    /// Under the store's lock: drops every stored record as <paramref name="reason"/> and deletes the queue's files; the
    /// records being read go to <paramref name="settled"/>, counted by their readers. Returns how many files could be
    /// neither deleted nor emptied.
    /// </summary>
    private int DropAndDeleteLocked(SegmentLog log, DropReason reason, List<StoredRecord> settled, out string? error)
    {
        var dropped = log.DeleteAll(settled, out var notDeleted, out error);
        _counters.AddDroppedInBulk(reason, dropped - settled.Sum(r => (long)r.Calls));
        HandOverLocked(settled);
        AfterChange();
        return notDeleted;
    }
}
