namespace GrowlyticsSdk.Storage;

// The reading side of the log: records out to readers, settled in any order, dropped to keep a bound or deleted.
internal sealed partial class SegmentLog
{
    /// <summary>
    /// Reads up to <paramref name="max"/> records after the read position into <paramref name="into"/>; they stay
    /// outstanding until <see cref="Settle"/>. Records older than <paramref name="expiredBeforeMs"/> are settled at once
    /// and their calls counted in <paramref name="expired"/>.
    /// </summary>
    public void Read(int max, long expiredBeforeMs, List<StoredRecord> into, out long expired)
    {
        expired = 0;
        ForgetFolderIfReplaced();
        _readSegment ??= Oldest;
        var read = 0;
        while (read < max && _readSegment is { } segment)
        {
            if (_readOffset < segment.AckOffset)
            {
                _readOffset = segment.AckOffset;
            }

            var data = _cache.Read(segment, out var cached);
            var end = (int)Math.Min(segment.Length, cached);
            var length = 0;
            long acceptedMs = 0;
            var found = _readOffset < end ? RecordFormat.NextRecord(data, (int)_readOffset, end, out length, out acceptedMs, out _) : end;
            if (found >= end)
            {
                if (ReferenceEquals(segment, _activeSegment) || Next(segment) is not { } next)
                {
                    if (end == segment.Length)
                    {
                        // Everything committed was read. With fewer bytes (the file cut, or a read that failed part-way)
                        // the next read goes on from here, rather than passing over a record cut in two.
                        _readOffset = end;
                    }
                    else if (_cache.Missing)
                    {
                        PassOverMissing(segment);
                    }

                    break;
                }

                _readSegment = next;
                _readOffset = next.AckOffset;
                continue;
            }

            if (segment.SettledRunEnd(found) is var settledEnd and >= 0)
            {
                // Settled by a previous run after its acknowledged position: not counted as pending at the start, not sent.
                _readOffset = Math.Max(settledEnd, found + length);
                continue;
            }

            var payload = data.AsSpan(found + RecordFormat.RecordHeaderSize, length - RecordFormat.RecordHeaderSize);
            var record = new StoredRecord(segment, found, found + length, payload.ToArray(), acceptedMs, StoredMessages.ReadCalls(payload), RecordFormat.StoredChecksum(data, found));
            _readOffset = found + length;
            _outstanding.AddLast(record);
            UnsettledOutstanding++;
            if (acceptedMs < expiredBeforeMs)
            {
                expired += record.Calls;
                Settle(record);
                continue;
            }

            into.Add(record);
            read++;
        }

        // Stopped at the window with a run a previous run settled next (maybe the segment's last records): passed over now,
        // as the next read would, since no next read comes once nothing is unread (the segment, all settled, would stay).
        while (_readSegment is { } at && at.SettledRunEnd(_readOffset) is var runEnd and >= 0 && runEnd > _readOffset)
        {
            _readOffset = runEnd;
        }

        AdvanceHead();
    }

    /// <summary>Settles one record (delivered or dropped); the acknowledged position moves past every settled record before the oldest unsettled one.</summary>
    public void Settle(StoredRecord record)
    {
        if (record.Settled)
        {
            return;
        }

        record.Settled = true;
        _settledDirty = true;
        record.Segment.Pending--;
        record.Segment.PendingCalls -= record.Calls;
        Pending--;
        PendingCalls -= record.Calls;
        UnsettledOutstanding--;
        AdvanceHead();
    }

    /// <summary>
    /// Removes the oldest segment with its records, even those being sent (they are settled here and returned in
    /// <paramref name="settledOutstanding"/> for their readers, so nothing counts twice); returns how many calls its
    /// records held, those of <paramref name="settledOutstanding"/> included.
    /// </summary>
    public long DropOldest(List<StoredRecord> settledOutstanding)
    {
        if (Oldest is not { } oldest)
        {
            return 0;
        }

        var dropped = SettleOutstandingIn(oldest, settledOutstanding) + oldest.PendingCalls;
        Pending -= oldest.Pending;
        PendingCalls -= oldest.PendingCalls;
        oldest.Pending = 0;
        oldest.PendingCalls = 0;
        if (Next(oldest) is { } next)
        {
            if (ReferenceEquals(_readSegment, oldest))
            {
                _readSegment = next;
                _readOffset = next.AckOffset;
            }

            AdvanceAck(next, next.AckOffset);
        }
        else
        {
            // The only segment, maybe the one being written: closed and deleted without opening another (the disk
            // may be full); the next append starts a new one.
            if (ReferenceEquals(oldest, _activeSegment))
            {
                CloseActive();
                _activeSegment = null;
            }

            Remove(oldest);
            _readSegment = null;
            _readOffset = 0;
        }

        AdvanceHead();
        return dropped;
    }

    /// <summary>
    /// Settles every stored record without sending it; outstanding ones are returned as in <see cref="DropOldest"/>.
    /// Returns how many calls were dropped, those of <paramref name="settledOutstanding"/> included.
    /// </summary>
    public long DropAll(List<StoredRecord> settledOutstanding)
    {
        long dropped = 0;
        foreach (var segment in _segments.ToArray())
        {
            dropped += SettleOutstandingIn(segment, settledOutstanding);
        }

        dropped += PendingCalls;
        foreach (var segment in _segments)
        {
            segment.Pending = 0;
            segment.PendingCalls = 0;
        }

        Pending = 0;
        PendingCalls = 0;
        _outstanding.Clear();
        CloseActive();
        _activeSegment = null;
        while (_segments.Count > 0)
        {
            Remove(_segments[0]);
        }

        _readSegment = null;
        _readOffset = 0;
        return dropped;
    }

    /// <summary>
    /// Drops every record as <see cref="DropAll"/> does, then deletes every segment file in the folder (those this log
    /// does not track included: skipped as damaged, or written by a newer version) and the acknowledgement file with its
    /// temporaries. The log stays usable: the next append starts a new segment.
    /// </summary>
    /// <param name="settledOutstanding">Receives the records being read, for their readers to count.</param>
    /// <param name="notDeleted">How many files could not be deleted.</param>
    /// <param name="error">The type of the first error, or <see langword="null"/>.</param>
    /// <returns>How many calls were dropped, those of <paramref name="settledOutstanding"/> included.</returns>
    public long DeleteAll(List<StoredRecord> settledOutstanding, out int notDeleted, out string? error)
    {
        // First a position past every segment, so a process killed while the files go deletes the rest at its next start.
        TryMarkDeleting();
        try
        {
            var dropped = DropAll(settledOutstanding);
            notDeleted = DeleteFiles(_directory, out error);

            // Nothing is stored, so there is no position to save; the next segment is read from its start after a restart.
            _ackDirty = false;
            _savedSettled = null;
            _floor = 0;
            if (_deleting || SavesPosition)
            {
                // What the folder held unread at start (if it could not be read) went with the rest, or stays below the
                // position past every segment: the positions saved from here on describe every record stored.
                SavesPosition = true;
            }
            else if (_pass is null)
            {
                // A log that saves no position and could not save that one: a file left behind (held open) is passed over
                // by a position saved once the disk takes it, as for an opt-out.
                StartPass();
            }

            return dropped;
        }
        finally
        {
            _deleting = false;
        }
    }

    /// <summary>
    /// Drops every record as <see cref="DropAll"/> does and ends a deletion <see cref="TryMarkDeleting"/> began, without
    /// deleting a file: for a folder that is not this log's any more (see <see cref="ForgetFolder"/>).
    /// </summary>
    public long DropAllLeavingFiles(List<StoredRecord> settledOutstanding)
    {
        try
        {
            return DropAll(settledOutstanding);
        }
        finally
        {
            _deleting = false;
        }
    }

    /// <summary>
    /// Saves a position past every segment in the folder (those this log does not track included), and no other until
    /// <see cref="DeleteAll"/> ends: a deletion asked for is then carried out at the next start if the process ends
    /// before it (the loader deletes every segment before the position). Segments started from here on are numbered
    /// after it. Does nothing if the position cannot be written (the deletion goes on without it).
    /// </summary>
    public void TryMarkDeleting()
    {
        // If it cannot be written, the files are deleted all the same; only a process killed meanwhile would leave some.
        if (!_deleting && TrySavePositionPastEverySegment(out _))
        {
            // Past any position an opt-out still waits to save (see PassEverySegment), which is no longer needed.
            _deleting = true;
            _pass = null;
        }
    }

    /// <summary>
    /// For a log that does not save its position (the folder could not be read at start), when every record stored so far
    /// is being dropped (an opt-out): seals the segment being written, so later records go to segments numbered after a
    /// position past every segment in the folder, those it could not read included (the opt-out drops them as well), and
    /// saves that position, so none of them is read at the next start, even after an opt-in. If the disk does not take it
    /// now, <see cref="SaveAck"/> saves it before any other; <see cref="SaveAck"/> also deletes the files this log could
    /// not read (a full disk still lets them go). From then on positions are saved, none below it while a segment numbered
    /// before it is tracked. Does nothing for a log that saves its position (its records are settled as they are dropped).
    /// Never throws.
    /// </summary>
    public void PassEverySegment()
    {
        if (SavesPosition || _deleting || _pass is not null)
        {
            return;
        }

        SealActive();
        StartPass();
        try
        {
            SavePass();
        }
#pragma warning disable CA1031 // Saved by a later SaveAck, which reports the failure.
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }

    /// <summary>
    /// Asks for a position past every segment in the folder (<see cref="SavePass"/>) and for the files this log does not
    /// track below it to be deleted (<see cref="DeleteUnreadBelowPass"/>); segments started from here on are numbered after it.
    /// </summary>
    private void StartPass()
    {
        long past;
        try
        {
            past = PastEverySegment();
        }
#pragma warning disable CA1031 // The folder cannot be listed: this log's own numbers are past what it held at start.
        catch (Exception)
#pragma warning restore CA1031
        {
            past = _nextId;
        }

        _nextId = past + 1;
        _pass = past;
        _unreadBelow = past;
    }

    /// <summary>Saves the position <see cref="PassEverySegment"/> asked for, if any; throws if the disk does not take it.</summary>
    private void SavePass()
    {
        if (_pass is not { } past)
        {
            return;
        }

        ThrowIfFaulted();
        AckFile.Write(_directory, past, RecordFormat.SegmentHeaderSize);
        _pass = null;
        _floor = past;
        SavesPosition = true;
    }

    /// <summary>
    /// Deletes (or empties) the segment files below the position <see cref="PassEverySegment"/> asked for that this log
    /// does not track: those it could not read at start. Needs no write, so a full disk does not keep them for a later
    /// start; one of a newer format is left for its writer, as the loader leaves it. Tried again while the folder cannot be
    /// listed; a file that can be neither deleted nor emptied is left to the position.
    /// </summary>
    private void DeleteUnreadBelowPass()
    {
        if (_unreadBelow is not { } below)
        {
            return;
        }

        List<(long Id, string Path)> files;
        try
        {
            files = SegmentLoader.ListSegments(_directory);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return;
        }

        _unreadBelow = null;
        foreach (var (id, path) in files)
        {
            if (id < below && !_segments.Exists(segment => segment.Id == id) && !SegmentLoader.IsNewerFormat(path))
            {
                StorageFiles.DeleteOrEmpty(path, out _);
            }
        }
    }

    /// <summary>A segment number past every segment in the folder and this log's own; throws if the folder cannot be listed.</summary>
    private long PastEverySegment() => Math.Max(_nextId, SegmentLoader.HighestId(_directory) + 1);

    /// <summary>
    /// Saves a position past every segment in the folder (those this log does not track included), and numbers the
    /// segments started from here on after it; returns whether it could.
    /// </summary>
    private bool TrySavePositionPastEverySegment(out long past)
    {
        try
        {
            ThrowIfFaulted();
            past = PastEverySegment();
            AckFile.Write(_directory, past, RecordFormat.SegmentHeaderSize);
            _nextId = past + 1;
            return true;
        }
#pragma warning disable CA1031 // Whatever failed, the caller goes on without that position.
        catch (Exception)
#pragma warning restore CA1031
        {
            past = 0;
            return false;
        }
    }

    /// <summary>
    /// Deletes the stored queue's files in <paramref name="directory"/>; returns how many could not be deleted. If a segment
    /// can be neither deleted nor emptied (held open by another program), <c>queue.ack</c> is kept: whatever position it
    /// holds passes over at least as much at the next start as none would (a position past every segment, see
    /// <see cref="TryMarkDeleting"/> and <see cref="PassEverySegment"/>, makes it delete that segment unread).
    /// </summary>
    /// <param name="directory">The storage folder.</param>
    /// <param name="error">The type of the first error, or <see langword="null"/>.</param>
    public static int DeleteFiles(string directory, out string? error)
    {
        error = null;
        string[] segments;
        string[] positions;
        try
        {
            segments = Directory.GetFiles(directory, SegmentLoader.FilePrefix + "*" + SegmentLoader.FileExtension);
            positions = [
                .. Directory.GetFiles(directory, AckFile.FileName + "*"),
                .. Directory.GetFiles(directory, SettledFile.FileName + "*"),
            ];
        }
        catch (DirectoryNotFoundException)
        {
            return 0;
        }

        return DeleteFiles(segments, positions, out error);
    }

    /// <summary>
    /// Deletes <paramref name="segments"/>, then <paramref name="positions"/> (<c>queue.ack</c> kept if a segment stays);
    /// returns how many could not be deleted.
    /// </summary>
    internal static int DeleteFiles(string[] segments, string[] positions, out string? error)
    {
        var failed = StorageFiles.DeleteAll(segments, out error);
        if (failed > 0)
        {
            positions = Array.FindAll(positions, path => !string.Equals(Path.GetFileName(path), AckFile.FileName, StringComparison.Ordinal));
        }

        failed += StorageFiles.DeleteAll(positions, out var positionError);
        error ??= positionError;
        return failed;
    }

    // Returns the calls of the records it settled.
    private long SettleOutstandingIn(Segment segment, List<StoredRecord> settled)
    {
        long calls = 0;
        for (var node = _outstanding.First; node is not null; node = node.Next)
        {
            var record = node.Value;
            if (ReferenceEquals(record.Segment, segment) && !record.Settled)
            {
                record.Settled = true;
                _settledDirty = true;
                segment.Pending--;
                segment.PendingCalls -= record.Calls;
                Pending--;
                PendingCalls -= record.Calls;
                UnsettledOutstanding--;
                settled.Add(record);
                calls += record.Calls;
            }
        }

        return calls;
    }

    private void AdvanceHead()
    {
        var moved = false;
        while (_outstanding.First is { Value.Settled: true })
        {
            _outstanding.RemoveFirst();
            moved = true;
        }

        if (_outstanding.First is { } head)
        {
            if (moved && !head.Value.Segment.Removed)
            {
                AdvanceAck(head.Value.Segment, head.Value.Offset);
            }
        }
        else if (_readSegment is not null && (moved || _readOffset > _readSegment.AckOffset))
        {
            AdvanceAck(_readSegment, _readOffset);
        }
    }
}
