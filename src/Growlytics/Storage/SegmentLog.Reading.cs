namespace GrowlyticsSdk.Storage;

// The reading side of the log: records out to readers, settled in any order, dropped to keep a bound or deleted.
internal sealed partial class SegmentLog
{
    /// <summary>
    /// Reads up to <paramref name="max"/> records after the read position into <paramref name="into"/>; they stay
    /// outstanding until <see cref="Settle"/>. Records older than <paramref name="expiredBeforeMs"/> (by their time and,
    /// for one recorded while the wall clock was set back, its write's: <see cref="Segment.WrittenMsAt"/>) are settled at once and their calls counted in <paramref name="expired"/>.
    /// </summary>
    public void Read(int max, long expiredBeforeMs, List<StoredRecord> into, out long expired) => Read(max, expiredBeforeMs, into, out expired, StoredPosition.Last);

    /// <summary>
    /// As <see cref="Read(int, long, List{StoredRecord}, out long)"/>, stopping at the first record at or after
    /// <paramref name="before"/> (written after a message the storage writer handed back to memory).
    /// </summary>
    public void Read(int max, long expiredBeforeMs, List<StoredRecord> into, out long expired, StoredPosition before)
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

            if (before.IsAtOrBefore(segment.Id, found))
            {
                // Written after a message the storage writer handed back to memory: read after it (see DurableQueue.Read).
                break;
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
            if (acceptedMs < expiredBeforeMs && segment.WrittenMsAt(found) < expiredBeforeMs)
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

        // The buffers kept for the next commit and the next segment read still hold the records just dropped (user ids,
        // attribute values): zeroed, so a deletion or an opt-out leaves none of them in memory either.
        Array.Clear(_commitBuffer, 0, _commitBuffer.Length);
        _cache.Erase();
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
