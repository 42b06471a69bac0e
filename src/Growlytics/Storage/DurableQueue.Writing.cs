using GrowlyticsSdk.Diagnostics;
using GrowlyticsSdk.Messages;

namespace GrowlyticsSdk.Storage;

/// <summary>The writer's side of the stored queue: loading, group commits, limits, failover to memory and back.</summary>
internal sealed partial class DurableQueue
{
    private void LoadSafely()
    {
        try
        {
            var loaded = SegmentLoader.Load(_directory, _limits.MaxFileBytes);
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

    /// <summary>Why a commit ended.</summary>
    private enum CommitEnd
    {
        /// <summary>Memory had nothing more for the folder.</summary>
        MemoryEmpty,

        /// <summary>A write failed: what was not written went back to memory.</summary>
        WriteFailed,

        /// <summary>
        /// It had taken as many messages as memory held when it took its flushes, or a flush asked for after it began waits
        /// for the next commit; memory may hold more.
        /// </summary>
        ForFlush,

        /// <summary>A deletion waits for the writer; memory may hold more.</summary>
        ForDeletion,
    }

    private readonly List<UserMessage> _takenMessages = [];
    private readonly List<(byte[] Payload, long AcceptedMs, int Calls)> _takenRecords = [];

    private void Commit()
    {
        var flushes = TakeFlushes();
        if (_failing && _time.GetTimestamp() < Interlocked.Read(ref _retryDiskAt) && !_stopping)
        {
            // The disk failed a moment ago: memory delivers meanwhile.
            CompleteFlushes(flushes);
            return;
        }

        // A flush waits for what memory held when the commit took it, not for calls that keep coming (memory never empty):
        // the commit ends once it has taken that many, and the next one starts at once. (Not while stopping: the last
        // commit writes everything memory holds.)
        var bound = flushes.Count > 0 && !_stopping && ForStorage is { } held ? held() : long.MaxValue;
        bool wrote;
        CommitEnd end;
        try
        {
            wrote = WriteTaken(bound, out end);
        }
        catch
        {
            // A fault the writer logs (see RunWriterAsync) ends the flushes too: none waits for ever (a session save waits
            // for one).
            CompleteFlushes(flushes);
            throw;
        }
        finally
        {
            // Nothing written is kept alive by the lists until the next commit.
            _takenMessages.Clear();
            _takenRecords.Clear();
        }

        if (end == CommitEnd.ForDeletion)
        {
            // Ended for a deletion before taking all a flush waits for: the flushes wait for the commit after it.
            lock (_flushes)
            {
                _flushes.InsertRange(0, flushes);
            }

            flushes.Clear();
        }
        else if (end == CommitEnd.ForFlush)
        {
            _writerWake.Set();
        }

        // On a write failure the flush ends too: it cannot wait for a disk that may never come back.
        CompleteFlushes(flushes);
        if (wrote || flushes.Count > 0)
        {
            _wakeReader();
        }
    }

    /// <summary>
    /// Writes what memory holds for the folder, up to <c>MaxTake</c> records a round and at most <paramref name="bound"/>
    /// messages in all; returns whether any was written. <paramref name="end"/> tells why it ended.
    /// </summary>
    private bool WriteTaken(long bound, out CommitEnd end)
    {
        end = CommitEnd.MemoryEmpty;
        var wrote = false;
        long taken = 0;
        while (true)
        {
            // The writer's own lists, emptied for each round (up to MaxTake records: a new list's array would be in the
            // large-object heap, bringing generation-2 collections in a burst).
            var messages = _takenMessages;
            var records = _takenRecords;
            messages.Clear();
            records.Clear();
            long bytes = 0;
            while (records.Count < MaxTake && bytes < _limits.SegmentBytes && taken < bound && _take() is { } message)
            {
                taken++;
                if (!_stopping && HandBackIfWaiting?.Invoke(message) == true)
                {
                    // Behind an older message of its user that memory delivers (below): handed back to follow it. (Not in the
                    // last commit: handed back then, it would be dropped at shutdown rather than kept for the next start.)
                    continue;
                }

                byte[] payload;
                try
                {
                    payload = StoredMessages.Serialize(message, _buffer);
                }
#pragma warning disable CA1031 // One message that cannot be written must not take the others with it: it goes from memory.
                catch (Exception ex)
#pragma warning restore CA1031
                {
                    Log.MessageNotSerializable(_logger, ex.GetType().Name);
                    if (!HandBackInOrder(messages, records, ref bytes, message, ref wrote))
                    {
                        end = CommitEnd.WriteFailed;
                        return wrote;
                    }

                    continue;
                }

                if (payload.Length > RecordFormat.MaxPayload || payload.Length + RecordFormat.RecordHeaderSize > _limits.MaxRecordBytes)
                {
                    // Larger than the format or the folder's bound allows: written, it would push out every older
                    // message and still break the bound. Memory delivers it.
                    if (!HandBackInOrder(messages, records, ref bytes, message, ref wrote))
                    {
                        end = CommitEnd.WriteFailed;
                        return wrote;
                    }

                    continue;
                }

                messages.Add(message);
                records.Add((payload, message.UnixTimeMilliseconds, message.Calls));
                bytes += payload.Length + RecordFormat.RecordHeaderSize;
            }

            // (Append empties the list of what it wrote.)
            var round = records.Count;
            if (round > 0)
            {
                if (!TryAppend(messages, records, bytes))
                {
                    end = CommitEnd.WriteFailed;
                    break;
                }

                wrote = true;
            }

            if (taken >= bound && taken > 0)
            {
                end = CommitEnd.ForFlush;
                break;
            }

            if (round == 0)
            {
                break;
            }

            if (bound == long.MaxValue && !_stopping && FlushWaiting)
            {
                // Asked for after this commit began: the next one takes it, with a bound.
                end = CommitEnd.ForFlush;
                break;
            }

            if (!_stopping && DeletionWaiting)
            {
                // A deletion runs between commits: calls that keep coming (memory never empty) must not hold it for as
                // long as they come. What this commit took is written; the rest is written after the deletion. (Not while
                // stopping: the last commit writes everything memory holds.)
                end = CommitEnd.ForDeletion;
                break;
            }
        }

        return wrote;
    }

    /// <summary>
    /// Hands back a message the folder cannot take, once the older ones this round took before it are written (handed back
    /// first, it could be read before them), and has its user's later messages follow it (see <see cref="HandBackIfWaiting"/>).
    /// Returns <see langword="false"/> when that write failed (what it could not write went back first, then this message).
    /// </summary>
    private bool HandBackInOrder(List<UserMessage> messages, List<(byte[] Payload, long AcceptedMs, int Calls)> records, ref long bytes, UserMessage message, ref bool wrote)
    {
        var appended = true;
        if (records.Count > 0)
        {
            appended = TryAppend(messages, records, bytes);
            wrote |= appended;
            messages.Clear();
            records.Clear();
            bytes = 0;
        }

        HandingBackInOrder?.Invoke(message);
        _handBack([message]);
        return appended;
    }

    private bool TryAppend(List<UserMessage> messages, List<(byte[] Payload, long AcceptedMs, int Calls)> records, long bytes)
    {
        var taken = records.Count;
        try
        {
            _options.BeforeStorageAppend?.Invoke();
            if (!HoldsFolder())
            {
                // Removed while the client ran, and not ours again yet: handed back as a failed write is.
                throw new IOException("The storage folder was replaced and cannot be taken again.");
            }

            Enforce(bytes);
            lock (_gate)
            {
                _log!.Append(records);
                AfterChange();
            }
        }
#pragma warning disable CA1031 // Whatever failed (an I/O error, or a fault nobody foresaw), the messages in hand must not be lost.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            // Append leaves in the list only the records it could not write; those go back to memory, in order. A fault
            // outside the disk is handled the same way: memory delivers, the disk is tried again later.
            // Published before memory lets go of the written ones, as on success: a flush counts them in one place or both.
            var writtenCount = taken - records.Count;
            lock (_gate)
            {
                AfterChange();
            }

            for (var i = 0; i < writtenCount; i++)
            {
                _written(messages[i]);
            }

            _handBack(messages.GetRange(writtenCount, messages.Count - writtenCount));
            _failing = true;
            Interlocked.Exchange(ref _retryDiskAt, _time.GetTimestamp() + (long)(DiskRetryInterval.TotalSeconds * _time.TimestampFrequency));
            Interlocked.Increment(ref _failuresSinceReport);
            Interlocked.Increment(ref _failuresSinceWorking);
            if (_writeFailures.TryReport(out var count))
            {
                Interlocked.Exchange(ref _failuresSinceReport, 0);
                Log.StorageWriteFailed(_logger, StorageFiles.Describe(ex), count, DiskRetryInterval);
                LogIfUnforeseen(ex);
            }

            return false;
        }

        foreach (var message in messages)
        {
            _written(message);
        }

        if (_failing)
        {
            _failing = false;
            Interlocked.Exchange(ref _failuresSinceReport, 0);
            var failures = Interlocked.Exchange(ref _failuresSinceWorking, 0);
            Log.StorageRecovered(_logger, failures);
        }

        return true;
    }

    /// <summary>Drops the oldest stored messages while the folder would exceed its bytes with <paramref name="incoming"/> more, or they are too old.</summary>
    private void Enforce(long incoming)
    {
        var settled = new List<StoredRecord>();
        DropReason reason;
        lock (_gate)
        {
            reason = _log is null ? DropReason.StorageFull : _limits.Enforce(_log, incoming, settled);
            HandOverLocked(settled);
            AfterChange();
        }

        if (settled.Count > 0)
        {
            OutstandingDropped?.Invoke(settled, reason);
        }
    }

    /// <summary>
    /// Drops the oldest stored messages once they are older than <see cref="GrowlyticsOptions.MaxStorageAge"/>, also when
    /// nothing is written: the bounds are otherwise enforced before each write, so in an outage without new calls the
    /// messages delivery had read (staged, or in requests waiting out their retries) were sent however old once the service
    /// came back. Those are counted by their readers, as for the size bound.
    /// </summary>
    private void ExpireIfDue()
    {
        bool due;
        lock (_gate)
        {
            due = _log?.Oldest is { Pending: > 0 } oldest && oldest.NewestMs < _limits.ExpiredBeforeMs();
        }

        if (due)
        {
            Enforce(0);
        }
    }

    /// <summary>
    /// Under the lock, before <see cref="AfterChange"/> publishes figures without them: keeps counting the records being
    /// read that a limit dropped until their reader, told after the lock is released, takes them over (<see cref="TakeOver"/>).
    /// </summary>
    private void HandOverLocked(List<StoredRecord> settled)
    {
        if (settled.Count > 0 && OutstandingDropped is not null)
        {
            Interlocked.Add(ref _handedOver, settled.Sum(r => (long)r.Calls));
        }
    }

    /// <summary>Publishes the log's figures for lock-free readers.</summary>
    private void AfterChange()
    {
        var log = _log!;
        if (log.LateDamage > 0)
        {
            // Dropped counts calls; the corrupt figure counts damaged records.
            _counters.AddDroppedInBulk(DropReason.Corrupted, log.LateDamageCalls);
            _counters.AddCorrupt(log.LateDamage);
            Interlocked.Add(ref _damageToLog, log.LateDamage);
            log.LateDamage = 0;
            log.LateDamageCalls = 0;
        }

        Interlocked.Exchange(ref _storedPending, log.PendingCalls);
        Interlocked.Exchange(ref _storedUnread, log.Unread);
        _windowFull = log.Outstanding >= ReadWindow;
    }

    // Called under the lock, once per writer turn (each commit interval, or when a flush or memory filling up wakes the
    // writer) rather than per settled batch.
    private void TrySaveAck()
    {
        if (_folder is { IsReplaced: true })
        {
            // Not this client's folder now (see HoldsFolder): its position is not written into another's.
            return;
        }

        try
        {
            _log?.SaveAck();
            _ackSaveFailed = false;
        }
#pragma warning disable CA1031 // Whatever failed, the writer goes on (and stops when asked); Close must not throw into the app.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            // Saved with a later commit; until then a restart may send some settled messages again. Writes are not
            // affected (the disk may be fine): reported on its own.
            _ackSaveFailed = true;
            if (_ackFailures.TryReport(out var count))
            {
                Log.StorageAckFailed(_logger, StorageFiles.Describe(ex), count);
                LogIfUnforeseen(ex);
            }
        }
    }

    /// <summary>Logs a fault that is not an I/O error with its stack, once per report: it may be a defect worth reporting.</summary>
    private void LogIfUnforeseen(Exception ex)
    {
        if (ex is not (IOException or UnauthorizedAccessException))
        {
            Log.StorageFault(_logger, ex);
        }
    }

    /// <summary>Gets a value indicating whether a flush waits for the writer's next commit.</summary>
    private bool FlushWaiting
    {
        get
        {
            lock (_flushes)
            {
                return _flushes.Count > 0;
            }
        }
    }

    private List<TaskCompletionSource<bool>> TakeFlushes(bool close = false)
    {
        lock (_flushes)
        {
            _flushesClosed |= close;
            var taken = new List<TaskCompletionSource<bool>>(_flushes);
            _flushes.Clear();
            return taken;
        }
    }

    private static void CompleteFlushes(List<TaskCompletionSource<bool>> flushes)
    {
        foreach (var flush in flushes)
        {
            flush.TrySetResult(true);
        }
    }
}
