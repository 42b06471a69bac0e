using GrowlyticsSdk.Diagnostics;
using GrowlyticsSdk.Messages;

namespace GrowlyticsSdk.Storage;

// The writer's loading of the folder at start and after a failover: what it holds installed, what cannot be read passed over.
internal sealed partial class DurableQueue
{
    private void LoadSafely()
    {
        try
        {
            var loaded = SegmentLoader.Load(_directory, _limits.MaxFileBytes, deferSpent: true);

            // The files holding no record are deleted by the writer's turns from now on, a few at each (see
            // DeleteSpentFiles): the restored records are not held up by thousands of deletions.
            _spent = loaded.Spent.Count > 0 ? new Queue<string>(loaded.Spent) : null;
            long records = 0;
            var notDeleted = 0;
            string? deleteError = null;
            bool passOver;
            lock (_gate)
            {
                // Opted out (read under the lock an opt-out sets it with) with a file not read: what the folder holds, that
                // file included, is passed over, as when none of it could be read.
                passOver = loaded.Unreadable > 0 && DropAtLoad is not null;
                if (!passOver)
                {
                    records = InstallLoadedLocked(loaded, out notDeleted, out deleteError);
                }
            }

            if (passOver)
            {
                Log.StorageNotRead(_logger, loaded.UnreadableError ?? "unknown");
                PassOverUnread();
                return;
            }

            if (notDeleted > 0)
            {
                Log.LocalDataNotDeleted(_logger, notDeleted, deleteError ?? "unknown");
            }

            if (records > 0)
            {
                Restored?.Invoke(records);
            }

            Enforce(0);
            if (loaded.Corrupt > 0)
            {
                _counters.AddCorrupt(loaded.Corrupt);
                Log.StorageDamaged(_logger, loaded.Corrupt);
            }

            if (loaded.NewerVersionFiles > 0)
            {
                Log.StorageNewerFormat(_logger, loaded.NewerVersionFiles);
            }

            if (loaded.Unreadable > 0)
            {
                Log.StorageFilesNotRead(_logger, loaded.Unreadable, loaded.UnreadableError ?? "unknown");
            }

            if (Pending > 0)
            {
                Log.StorageRestored(_logger, Pending);
                _wakeReader();
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Nothing could be restored (a file held by another program, or unreadable): what the folder holds stays for
            // the next start. New messages are still written (or delivered from memory while writes fail), in segments
            // numbered after any the folder could hold; the position is never saved, as it would describe only those and
            // make the next start take the files not read now for settled.
            Log.StorageNotRead(_logger, ex.GetType().Name);
            PassOverUnread();
        }
    }

    /// <summary>
    /// Makes the loaded segments the stored queue (under the lock that reading takes); for a user opted out, drops them
    /// unsent. Returns the records left to read.
    /// </summary>
    private long InstallLoadedLocked(SegmentLoader.LoadResult loaded, out int notDeleted, out string? deleteError)
    {
        notDeleted = 0;
        deleteError = null;

        // With a file not read, no position is saved: one past it would make a later start take it for settled.
        _log = new SegmentLog(_directory, _limits.SegmentBytes, loaded.Segments, loaded.MaxId, _options.StorageWriteFault, savesPosition: loaded.Unreadable == 0) { FolderReplaced = FolderReplaced, AppendFault = _options.StorageAppendFault };

        // In calls, as delivering or dropping a restored message counts its calls.
        _counters.AddRestored(_log.PendingCalls);
        if (DropAtLoad is { } reason && _log.PendingCalls > 0)
        {
            // Nothing was read yet, so every record is dropped here, unsent.
            notDeleted = DropAndDeleteLocked(_log, reason, [], out deleteError);
        }

        AfterChange();
        return _log.Unread;
    }

    /// <summary>
    /// Starts a stored queue that saves no position (the folder could not be read); for a user opted out, passes over
    /// what the folder holds, never to be sent.
    /// </summary>
    private void PassOverUnread()
    {
        var notDeleted = 0;
        string? deleteError = null;
        Exception? fault = null;
        var maxId = HighestIdInUse();
        lock (_gate)
        {
            var log = new SegmentLog(_directory, _limits.SegmentBytes, [], maxId, _options.StorageWriteFault, savesPosition: false) { FolderReplaced = FolderReplaced, AppendFault = _options.StorageAppendFault };
            _log = log;
            if (DropAtLoad is not null)
            {
                // Started opted out, or opted out before the load: what the folder holds is never to be sent, read or
                // not. Deleted now (nothing was counted, so nothing is counted dropped); a file that stays is below the
                // position saved from here on.
                try
                {
                    log.DeleteAll([], out notDeleted, out deleteError);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    // The folder cannot be listed: passed over as an opt-out passes over it (a position past every
                    // segment, saved once the disk takes it; the files deleted once the folder can be listed).
                    fault = ex;
                    log.PassEverySegment();
                }
            }
        }

        if (fault is not null)
        {
            Log.StorageFault(_logger, fault);
        }

        if (notDeleted > 0)
        {
            Log.LocalDataNotDeleted(_logger, notDeleted, deleteError ?? "unknown");
        }
    }

    /// <summary>
    /// For a folder that could not be read, or one taken again from another client (see <see cref="HoldsFolder"/>), whose
    /// files this log never loaded: the number new segments are numbered after, past every segment in it and its
    /// saved position where they can be read (a position past every segment, saved by an opt-out, may lie beyond any file),
    /// and past the clock's ticks (what could not be read is numbered below them, unless the clock was set back).
    /// </summary>
    private long HighestIdInUse()
    {
        var highest = _time.GetUtcNow().UtcTicks;
        try
        {
            highest = Math.Max(highest, SegmentLoader.HighestId(_directory));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Not listed: the clock alone.
        }

        try
        {
            if (AckFile.Read(_directory, out _) is { } position)
            {
                highest = Math.Max(highest, position.SegmentId);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Not read (maybe why the folder could not be loaded): the others.
        }

        return highest;
    }
}
