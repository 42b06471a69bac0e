using GrowlyticsSdk.Diagnostics;
using GrowlyticsSdk.Messages;

namespace GrowlyticsSdk.Storage;

/// <summary>The writer's side of the stored queue: group commits, and failover to memory and back.</summary>
internal sealed partial class DurableQueue
{
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

        /// <summary>The folder has no room for the message of a call that waits for room: the writer holds it (see DurableQueue.Holding.cs).</summary>
        HeldForRoom,

        /// <summary>
        /// It has run for a commit interval (calls kept coming, a write at a time): the writer's turn saves the position
        /// now, and the next commit starts at once; memory may hold more.
        /// </summary>
        IntervalPassed,
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

        if (_failing && !_stopping && _owner && !_heldByAnother && _heldForRoom is null && (ForStorage?.Invoke() ?? 0) == 0)
        {
            // Due to be tried again with nothing to write: memory may be full of what the disk could not take, refusing
            // every call (so no message would ever come to try the disk with). A small write of its own tells.
            if (!ProbeDisk())
            {
                Interlocked.Exchange(ref _retryDiskAt, _time.GetTimestamp() + (long)(DiskRetryInterval.TotalSeconds * _time.TimestampFrequency));
                CompleteFlushes(flushes);
                return;
            }

            // It works again: what memory holds in no request goes to the folder (written before later calls), freeing
            // memory for them.
            RunHook(DiskWorksAgain);
        }

        // A flush waits for what memory held when the commit took it, not for calls that keep coming (memory never empty):
        // the commit ends once it has taken that many, and the next one starts at once. (Not while stopping: the last
        // commit writes everything memory holds.)
        var bound = flushes.Count > 0 && !_stopping && ForStorage is { } held ? held() : long.MaxValue;
        bool wrote;
        CommitEnd end;
        try
        {
            wrote = WriteTaken(bound, flushes.Count == 0 && !_stopping, out end);
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
        else if (end is CommitEnd.ForFlush or CommitEnd.IntervalPassed)
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
    /// messages in all; returns whether any was written. <paramref name="end"/> tells why it ended. With
    /// <paramref name="endsAtInterval"/> (no flush waits for it), it ends once it has run for a commit interval: calls that
    /// keep coming (memory not empty when a write ends) kept it going for as long as they came, and the writer's turn,
    /// which saves the position, with it (a kill then sent again everything delivered since it began).
    /// </summary>
    private bool WriteTaken(long bound, bool endsAtInterval, out CommitEnd end)
    {
        end = CommitEnd.MemoryEmpty;
        var wrote = false;
        long taken = 0;
        var started = _time.GetTimestamp();
        while (true)
        {
            // The writer's own lists, emptied for each round (up to MaxTake records: a new list's array would be in the
            // large-object heap, bringing generation-2 collections in a burst).
            var messages = _takenMessages;
            var records = _takenRecords;
            messages.Clear();
            records.Clear();
            long bytes = 0;

            // The folder's room, read once a round (with the lock) when a message of a call that waits for room needs it.
            var room = long.MinValue;
            if (!TryReleaseHeld(messages, records, ref bytes, ref room))
            {
                end = CommitEnd.HeldForRoom;
                return wrote;
            }

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

                if (MustHold(message, bytes + payload.Length + RecordFormat.RecordHeaderSize, ref room))
                {
                    // Its call waits for room: it is not to push out older messages. What this round took before it is
                    // written (it fits), then the writer holds it until deliveries free room.
                    var before = records.Count > 0;
                    if (before && !TryAppend(messages, records, bytes))
                    {
                        // The disk failed: memory delivers, this message after those handed back.
                        _handBack([message]);
                        end = CommitEnd.WriteFailed;
                        return wrote;
                    }

                    Hold(message, payload);
                    end = CommitEnd.HeldForRoom;
                    return wrote || before;
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

            if (endsAtInterval && _time.GetElapsedTime(started) >= _options.StorageCommitInterval)
            {
                end = CommitEnd.IntervalPassed;
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
                _log!.Append(records, _limits.SteadyNowMs());
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
