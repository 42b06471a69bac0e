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
    private readonly List<(Segment Segment, long End)> _inFlight = [];
    private long _nextId;
    private FileStream? _active;
    private Segment? _activeSegment;
    private Segment? _readSegment;
    private long _readOffset;
    private readonly SegmentCache _cache = new();
    private bool _ackDirty;

    public SegmentLog(string directory, long segmentSize, List<Segment> loaded, long maxId)
    {
        _directory = directory;
        _segmentSize = segmentSize;
        _segments = loaded;
        _nextId = maxId + 1;
        foreach (var segment in loaded)
        {
            Pending += segment.Pending;
        }

        _ackDirty = true;
    }

    /// <summary>Gets the number of stored records not yet settled, in flight included.</summary>
    public long Pending { get; private set; }

    /// <summary>Gets the number of stored records waiting to be read into a batch.</summary>
    public long Unread => Pending - _inFlight.Count;

    public int InFlight => _inFlight.Count;

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

    public void Append(List<(byte[] Payload, long AcceptedMs)> records)
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
                _active!.Write(buffer, 0, buffer.Length);
                _active.Flush(flushToDisk: true);
            }
            catch
            {
                // Cut off whatever reached the file past Length, so a retried write cannot leave the same records
                // twice; if even that fails, the next start skips them as damage after the known length.
                TryTruncateActive(segment.Length);
                CloseActive();

                // The records already written stay written: only the rest is for the caller to retry.
                records.RemoveRange(0, index);
                throw;
            }

            segment.Length += size;
            for (var i = index; i < end; i++)
            {
                segment.Pending++;
                segment.NewestMs = Math.Max(segment.NewestMs, records[i].AcceptedMs);
            }

            Pending += end - index;
            index = end;
        }
    }

    /// <summary>Reads the next batch; records older than <paramref name="expiredBeforeMs"/> at the head are settled as expired.</summary>
    public List<byte[]> ReadBatch(int maxCount, int maxBytes, long expiredBeforeMs, out int expired)
    {
        var batch = new List<byte[]>();
        var bytes = Serialization.BatchBody.EnvelopeOverhead;
        expired = 0;
        _readSegment ??= Oldest;
        while (batch.Count < maxCount && _readSegment is { } segment)
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
                if (_inFlight.Count == 0)
                {
                    AdvanceAck(next, next.AckOffset);
                }

                continue;
            }

            var payloadLength = length - RecordFormat.RecordHeaderSize;
            if (_inFlight.Count == 0 && acceptedMs < expiredBeforeMs)
            {
                expired++;
                segment.Pending--;
                Pending--;
                _readOffset = found + length;
                AdvanceAck(segment, _readOffset);
                continue;
            }

            if (batch.Count > 0 && bytes + payloadLength + 1 > maxBytes)
            {
                break;
            }

            batch.Add(data.AsSpan(found + RecordFormat.RecordHeaderSize, payloadLength).ToArray());
            bytes += payloadLength + 1;
            _readOffset = found + length;
            _inFlight.Add((segment, _readOffset));
        }

        return batch;
    }

    /// <summary>Settles the first <paramref name="settled"/> records in flight; the rest are read again later.</summary>
    public void Acknowledge(int settled)
    {
        settled = Math.Min(settled, _inFlight.Count);
        for (var i = 0; i < settled; i++)
        {
            _inFlight[i].Segment.Pending--;
        }

        Pending -= settled;
        if (settled == _inFlight.Count && _readSegment is not null)
        {
            AdvanceAck(_readSegment, _readOffset);
        }
        else if (settled > 0)
        {
            AdvanceAck(_inFlight[settled - 1].Segment, _inFlight[settled - 1].End);
        }

        if (settled < _inFlight.Count)
        {
            _readSegment = Oldest;
            _readOffset = _readSegment?.AckOffset ?? 0;
        }

        _inFlight.Clear();
    }

    /// <summary>Removes the oldest segment with its records (only while nothing is in flight); returns how many it held.</summary>
    public int DropOldest()
    {
        if (Oldest is not { } oldest || _inFlight.Count > 0)
        {
            return 0;
        }

        if (ReferenceEquals(oldest, _activeSegment) || Next(oldest) is null)
        {
            Roll();
        }

        var dropped = oldest.Pending;
        Pending -= dropped;
        oldest.Pending = 0;
        AdvanceAck(Next(oldest)!, Next(oldest)!.AckOffset);
        return dropped;
    }

    /// <summary>Settles every stored record without sending it (only while nothing is in flight); returns how many.</summary>
    public long DropAll()
    {
        if (_inFlight.Count > 0)
        {
            return 0;
        }

        var dropped = Pending;
        foreach (var segment in _segments)
        {
            segment.Pending = 0;
        }

        Pending = 0;
        if (_activeSegment is { } active)
        {
            AdvanceAck(active, active.Length);
        }

        return dropped;
    }

    /// <summary>Persists the settled position if it moved.</summary>
    public void SaveAck()
    {
        if (_ackDirty && Oldest is { } oldest)
        {
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
            Pending -= segment.Pending;
            segment.Pending = 0;
        }

        _segments.Remove(segment);
        _cache.Forget(segment);

        // The position must not point at a deleted file: save it first, then delete.
        if (_segments.Count > 0)
        {
            AckFile.Write(_directory, _segments[0].Id, Math.Max(_segments[0].AckOffset, RecordFormat.SegmentHeaderSize));
        }

        StorageFiles.TryDelete(segment.Path);
    }

    private Segment? Next(Segment segment)
    {
        var index = _segments.IndexOf(segment);
        return index >= 0 && index + 1 < _segments.Count ? _segments[index + 1] : null;
    }

    private void Roll()
    {
        CloseActive();
        var id = _nextId++;
        var path = SegmentLoader.SegmentPath(_directory, id);
        var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.Read | FileShare.Delete);
        try
        {
            StorageFiles.RestrictToCurrentUser(path);
            var header = RecordFormat.SegmentHeader();
            stream.Write(header, 0, header.Length);
            stream.Flush(flushToDisk: true);
        }
        catch
        {
            stream.Dispose();
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
