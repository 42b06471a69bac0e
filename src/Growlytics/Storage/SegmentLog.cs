namespace GrowlyticsSdk.Storage;

/// <summary>
/// The append-only log of segment files and its two positions: where delivery reads next, and where
/// everything before is settled (acknowledged). Not thread-safe: <see cref="DurableQueue"/> serializes calls.
/// </summary>
internal sealed class SegmentLog : IDisposable
{
    private readonly string _directory;
    private readonly long _segmentSize;
    private readonly List<Segment> _segments;
    private readonly LinkedList<StoredRecord> _outstanding = new();
    private long _nextId;
    private FileStream? _active;
    private Segment? _activeSegment;
    private Segment? _readSegment;
    private long _readOffset;
    private readonly SegmentCache _cache = new();
    private readonly Func<Exception?>? _writeFault;
    private bool _ackDirty;

    public SegmentLog(string directory, long segmentSize, List<Segment> loaded, long maxId, Func<Exception?>? writeFault = null)
    {
        _writeFault = writeFault;
        _directory = directory;
        _segmentSize = segmentSize;
        _segments = loaded;
        _nextId = maxId + 1;
        foreach (var segment in loaded)
        {
            Pending += segment.Pending;
            PendingCalls += segment.PendingCalls;
        }

        _ackDirty = true;
    }

    /// <summary>Gets the number of stored records not yet settled, in flight included.</summary>
    public long Pending { get; private set; }

    /// <summary>
    /// Gets the accepted calls those records settle: statistics count calls, and one record may settle several (a login
    /// carrying held pushes). Positions and the read window stay in records.
    /// </summary>
    public long PendingCalls { get; private set; }

    /// <summary>Gets the number of stored records waiting to be read.</summary>
    public long Unread => Pending - UnsettledOutstanding;

    /// <summary>Gets the records read and not settled yet.</summary>
    public int UnsettledOutstanding { get; private set; }

    /// <summary>Gets the records between the acknowledged position and the read position (settled or not).</summary>
    public int Outstanding => _outstanding.Count;

    public long TotalBytes
    {
        get
        {
            long total = 0;
            foreach (var segment in _segments)
            {
                total += segment.Length;
            }

            return total;
        }
    }

    public Segment? Oldest => _segments.Count > 0 ? _segments[0] : null;

    public int SegmentCount => _segments.Count;

    /// <summary>Gets or sets the records found damaged after they were counted (settled as lost when passed).</summary>
    public int LateDamage { get; set; }

    /// <summary>Gets or sets the calls of the <see cref="LateDamage"/> records, for the dropped count.</summary>
    public long LateDamageCalls { get; set; }

    /// <summary>Appends records with the calls each settles; on a write failure only those not written stay in the list.</summary>
    public void Append(List<(byte[] Payload, long AcceptedMs, int Calls)> records)
    {
        var index = 0;
        while (index < records.Count)
        {
            if (_active is null || _activeSegment!.Length >= _segmentSize)
            {
                Roll();
            }

            var segment = _activeSegment!;
            var size = 0;
            var end = index;
            while (end < records.Count && (end == index || segment.Length + size + RecordFormat.RecordHeaderSize + records[end].Payload.Length <= _segmentSize))
            {
                size += RecordFormat.RecordHeaderSize + records[end].Payload.Length;
                end++;
            }

            var buffer = new byte[size];
            var written = 0;
            for (var i = index; i < end; i++)
            {
                written += RecordFormat.Write(buffer.AsSpan(written), records[i].Payload, records[i].AcceptedMs);
            }

            try
            {
                ThrowIfFaulted();
                _active!.Write(buffer, 0, buffer.Length);
                _active.Flush(flushToDisk: true);
            }
            catch
            {
                // Cut off whatever reached the file past Length, so a retried write cannot leave the same records
                // twice; if even that fails, the next start skips them as damage after the known length.
                TryTruncateActive(segment.Length);
                CloseActive();
                if (segment.Length <= RecordFormat.SegmentHeaderSize && segment.Pending == 0)
                {
                    // Nothing of it was ever written: no empty segment stays behind.
                    _activeSegment = null;
                    Remove(segment);
                    if (ReferenceEquals(_readSegment, segment))
                    {
                        _readSegment = null;
                        _readOffset = 0;
                    }
                }

                // The records already written stay written: only the rest is for the caller to retry.
                records.RemoveRange(0, index);
                throw;
            }

            segment.Length += size;
            for (var i = index; i < end; i++)
            {
                segment.Pending++;
                segment.PendingCalls += records[i].Calls;
                PendingCalls += records[i].Calls;
                segment.NewestMs = Math.Max(segment.NewestMs, records[i].AcceptedMs);
            }

            Pending += end - index;
            index = end;
        }
    }

    /// <summary>
    /// Reads up to <paramref name="max"/> records after the read position into <paramref name="into"/>; they stay
    /// outstanding until <see cref="Settle"/>. Records older than <paramref name="expiredBeforeMs"/> are settled at once
    /// and their calls counted in <paramref name="expired"/>.
    /// </summary>
    public void Read(int max, long expiredBeforeMs, List<StoredRecord> into, out long expired)
    {
        expired = 0;
        _readSegment ??= Oldest;
        var read = 0;
        while (read < max && _readSegment is { } segment)
        {
            if (_readOffset < segment.AckOffset)
            {
                _readOffset = segment.AckOffset;
            }

            var data = _cache.Read(segment);
            var end = (int)Math.Min(segment.Length, data.Length);
            var length = 0;
            long acceptedMs = 0;
            var found = _readOffset < end ? RecordFormat.NextRecord(data, (int)_readOffset, end, out length, out acceptedMs, out _) : end;
            if (found >= end)
            {
                if (ReferenceEquals(segment, _activeSegment) || Next(segment) is not { } next)
                {
                    _readOffset = end;
                    break;
                }

                _readSegment = next;
                _readOffset = next.AckOffset;
                continue;
            }

            var payload = data.AsSpan(found + RecordFormat.RecordHeaderSize, length - RecordFormat.RecordHeaderSize);
            var record = new StoredRecord(segment, found, found + length, payload.ToArray(), acceptedMs, StoredMessages.ReadCalls(payload));
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
        var dropped = DropAll(settledOutstanding);
        notDeleted = DeleteFiles(_directory, out error);

        // Nothing is stored, so there is no position to save; the next segment is read from its start after a restart.
        _ackDirty = false;
        return dropped;
    }

    /// <summary>Deletes the stored queue's files in <paramref name="directory"/>; returns how many could not be deleted.</summary>
    public static int DeleteFiles(string directory, out string? error)
    {
        error = null;
        string[] paths;
        try
        {
            paths = [
                .. Directory.GetFiles(directory, SegmentLoader.FilePrefix + "*" + SegmentLoader.FileExtension),
                .. Directory.GetFiles(directory, AckFile.FileName + "*"),
            ];
        }
        catch (DirectoryNotFoundException)
        {
            return 0;
        }

        return StorageFiles.DeleteAll(paths, out error);
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
            if (moved && _segments.Contains(head.Value.Segment))
            {
                AdvanceAck(head.Value.Segment, head.Value.Offset);
            }
        }
        else if (_readSegment is not null && (moved || _readOffset > _readSegment.AckOffset))
        {
            AdvanceAck(_readSegment, _readOffset);
        }
    }

    /// <summary>Persists the settled position if it moved.</summary>
    public void SaveAck()
    {
        if (_ackDirty && Oldest is { } oldest)
        {
            ThrowIfFaulted();
            AckFile.Write(_directory, oldest.Id, oldest.AckOffset);
            _ackDirty = false;
        }
    }

    public void Dispose() => CloseActive();

    private void AdvanceAck(Segment segment, long offset)
    {
        while (_segments.Count > 0 && !ReferenceEquals(_segments[0], segment))
        {
            Remove(_segments[0]);
        }

        segment.AckOffset = offset;
        _ackDirty = true;
        if (!ReferenceEquals(segment, _activeSegment) && offset >= segment.Length && Next(segment) is { } next)
        {
            Remove(segment);
            segment = next;
        }

        if (_readSegment is null || _segments.IndexOf(_readSegment) < 0)
        {
            _readSegment = segment;
            _readOffset = segment.AckOffset;
        }
    }

    private void Remove(Segment segment)
    {
        // Records still counted here could not be read back (the file changed after it was written).
        if (segment.Pending > 0)
        {
            LateDamage += segment.Pending;
            LateDamageCalls += segment.PendingCalls;
            Pending -= segment.Pending;
            PendingCalls -= segment.PendingCalls;
            segment.Pending = 0;
            segment.PendingCalls = 0;
        }

        _segments.Remove(segment);
        _cache.Forget(segment);

        // Deleted first, so a full disk gets room back before the position is rewritten. A position left pointing at a
        // deleted file is safe: at the next start every later segment is read from its start.
        StorageFiles.TryDelete(segment.Path);
        _ackDirty = true;
    }

    private Segment? Next(Segment segment)
    {
        var index = _segments.IndexOf(segment);
        return index >= 0 && index + 1 < _segments.Count ? _segments[index + 1] : null;
    }

    private void ThrowIfFaulted()
    {
        if (_writeFault?.Invoke() is { } fault)
        {
            throw fault;
        }
    }

    private void Roll()
    {
        CloseActive();
        ThrowIfFaulted();
        var id = _nextId++;
        var path = SegmentLoader.SegmentPath(_directory, id);
        var stream = StorageFiles.Open(path, FileMode.CreateNew, FileAccess.Write, FileShare.Read | FileShare.Delete);
        try
        {
            var header = RecordFormat.SegmentHeader();
            stream.Write(header, 0, header.Length);
            stream.Flush(flushToDisk: true);
        }
        catch
        {
            // No segment is left behind empty: the file goes with the failed write.
            stream.Dispose();
            StorageFiles.TryDelete(path);
            throw;
        }

        _active = stream;
        _activeSegment = new Segment(id, path, RecordFormat.SegmentHeaderSize, RecordFormat.SegmentHeaderSize);
        _segments.Add(_activeSegment);
        _readSegment ??= _activeSegment;
    }

    private void TryTruncateActive(long length)
    {
        try
        {
            _active?.SetLength(length);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Nothing more to do here; see the caller.
        }
    }

    private void CloseActive()
    {
        _active?.Dispose();
        _active = null;
    }
}
