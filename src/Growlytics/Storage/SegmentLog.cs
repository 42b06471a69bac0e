namespace GrowlyticsSdk.Storage;

/// <summary>
/// The append-only log of segment files and its two positions: where delivery reads next, and where
/// everything before is settled (acknowledged). Not thread-safe: <see cref="DurableQueue"/> serializes calls.
/// </summary>
internal sealed partial class SegmentLog : IDisposable
{
    private readonly string _directory;
    private readonly long _segmentSize;
    private readonly List<Segment> _segments;

    // The newest segment loaded at start, until the first write: appended to if it can take more (TryAppendToLoaded).
    private Segment? _appendTo;
    private readonly LinkedList<StoredRecord> _outstanding = new();
    private long _nextId;
    private FileStream? _active;
    private Segment? _activeSegment;
    private Segment? _readSegment;
    private long _readOffset;
    private readonly SegmentCache _cache = new();
    private readonly Func<Exception?>? _writeFault;
    private bool _ackDirty;

    // Set while a deletion runs (see MarkDeleting): the position saved then says every segment is settled, and stays.
    private bool _deleting;

    // Once a log that did not save its position saved one past every segment (see PassEverySegment): the segment it
    // names; no position below it is saved while a segment numbered before it is tracked.
    private long _floor;

    // A position past every segment to be saved before any other (see PassEverySegment), until the disk takes it.
    private long? _pass;

    // The files this log does not track below that position are to be deleted (see DeleteUnreadBelowPass).
    private long? _unreadBelow;

    // Read without the store's lock (see DurableQueue.OptingOut).
    private volatile bool _savesPosition;

    /// <param name="directory">The storage folder.</param>
    /// <param name="segmentSize">The size at which a segment is sealed and the next one started.</param>
    /// <param name="loaded">The segments read at start, oldest first.</param>
    /// <param name="maxId">The highest segment number in use: new segments are numbered after it.</param>
    /// <param name="writeFault">A test seam: a fault each write throws.</param>
    /// <param name="savesPosition">
    /// <see langword="false"/> when the folder could not be read at start: the position and the settled runs describe
    /// only this log's own segments, so they are never saved (saved, they would make the next start take the unread
    /// files for settled and delete them).
    /// </param>
    public SegmentLog(string directory, long segmentSize, List<Segment> loaded, long maxId, Func<Exception?>? writeFault = null, bool savesPosition = true)
    {
        _savesPosition = savesPosition;
        _writeFault = writeFault;
        _directory = directory;
        _segmentSize = segmentSize;
        _segments = loaded;
        _nextId = maxId + 1;
        _appendTo = loaded.Count > 0 ? loaded[loaded.Count - 1] : null;
        foreach (var segment in loaded)
        {
            Pending += segment.Pending;
            PendingCalls += segment.PendingCalls;
        }

        _ackDirty = true;
        _settledDirty = true;
    }

    /// <summary>
    /// Gets a value indicating whether the position and the settled runs are saved (see the constructor): from the start, or
    /// once a position past every segment in the folder was saved (<see cref="PassEverySegment"/>, <see cref="DeleteAll"/>).
    /// Safe to read without the store's lock.
    /// </summary>
    public bool SavesPosition
    {
        get => _savesPosition;
        private set => _savesPosition = value;
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

    /// <summary>
    /// Gets the position just past the newest record written: records written later lie at or after it (in that segment
    /// past its length, or in a segment numbered after it).
    /// </summary>
    public StoredPosition End => _segments.Count > 0 ? new(_segments[_segments.Count - 1].Id, _segments[_segments.Count - 1].Length) : new(_nextId, 0);

    /// <summary>Gets the segments, oldest first (for tests).</summary>
    internal IReadOnlyList<Segment> Segments => _segments;

    public int SegmentCount => _segments.Count;

    /// <summary>Gets whether the segment numbered <paramref name="id"/> is one this log holds.</summary>
    public bool Tracks(long id)
    {
        // The segments are in the order of their numbers (loaded sorted, each new one numbered after every other): a binary
        // search, as the bound asks this for every segment file in the folder, and a folder may hold tens of thousands.
        var low = 0;
        var high = _segments.Count - 1;
        while (low <= high)
        {
            var middle = low + ((high - low) / 2);
            var found = _segments[middle].Id;
            if (found == id)
            {
                return true;
            }

            if (found < id)
            {
                low = middle + 1;
            }
            else
            {
                high = middle - 1;
            }
        }

        return false;
    }

    /// <summary>Gets or sets the records found damaged after they were counted (settled as lost when passed).</summary>
    public int LateDamage { get; set; }

    /// <summary>Gets or sets the calls of the <see cref="LateDamage"/> records, for the dropped count.</summary>
    public long LateDamageCalls { get; set; }

    /// <summary>
    /// Persists the settled position if it moved, then the runs settled after it if they changed (see
    /// <see cref="SettledFile"/>).
    /// </summary>
    public void SaveAck()
    {
        RemoveSettledSegments();

        // First the position past every segment an opt-out asked for, if the disk did not take it then (throws again if
        // it still does not: nothing else is saved meanwhile). Not while a deletion runs: its own position is past it.
        if (!_deleting)
        {
            DeleteUnreadBelowPass();
            SavePass();
        }
        if (!SavesPosition || _deleting || (Oldest is { } first && first.Id < _floor))
        {
            return;
        }

        if (_ackDirty && Oldest is { } oldest)
        {
            ThrowIfFaulted();
            AckFile.Write(_directory, oldest.Id, oldest.AckOffset);
            _ackDirty = false;
        }

        SaveSettled();
    }

    /// <summary>
    /// Deletes the segments after the oldest whose records were all read and settled while an older record is not (a
    /// kept message holds the position back): a long wait for one message then holds its own segment, not the delivered
    /// ones after it. The position stays in the oldest segment, so a restart reads the same records.
    /// </summary>
    public void RemoveSettledSegments()
    {
        var read = _readSegment is null ? -1 : _segments.IndexOf(_readSegment);
        var ackDirty = _ackDirty;
        for (var i = read - 1; i >= 1; i--)
        {
            var segment = _segments[i];
            if (segment.Pending == 0 && !ReferenceEquals(segment, _activeSegment))
            {
                Remove(segment);
            }
        }

        // The position is in the oldest segment, which stays: nothing new to save for it.
        _ackDirty = ackDirty;
    }

    public void Dispose()
    {
        CloseActive();
        _cache.Dispose();
    }

    private void AdvanceAck(Segment segment, long offset)
    {
        while (_segments.Count > 0 && !ReferenceEquals(_segments[0], segment))
        {
            Remove(_segments[0]);
        }

        segment.AckOffset = offset;
        _ackDirty = true;
        _settledDirty = true;
        if (ReferenceEquals(segment, _activeSegment) && offset >= segment.Length && segment.Pending == 0 && Next(segment) is null)
        {
            // The segment being written, the only one, all settled: closed and deleted at once like any other (kept, it held
            // up to a segment of delivered records on disk, also after the shutdown); the next append starts a new one.
            CloseActive();
            _activeSegment = null;
            Remove(segment);
            _readSegment = null;
            _readOffset = 0;
            return;
        }

        if (!ReferenceEquals(segment, _activeSegment) && offset >= segment.Length)
        {
            if (Next(segment) is { } next)
            {
                Remove(segment);
                segment = next;
            }
            else if (segment.Pending == 0)
            {
                // A sealed last segment (a write to it failed), all settled: deleted, and the next append starts a new one.
                // The position left pointing at it is safe (see Remove).
                Remove(segment);
                _readSegment = null;
                _readOffset = 0;
                return;
            }
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
        segment.Removed = true;
        _cache.Forget(segment);

        // Deleted first, so a full disk gets room back before the position is rewritten. A position left pointing at a
        // deleted file is safe: at the next start every later segment is read from its start.
        if (!segment.Gone)
        {
            ForgetFolderIfReplaced();
        }

        if (!segment.Gone)
        {
            StorageFiles.TryDelete(segment.Path);
        }

        _ackDirty = true;
        _settledDirty = true;
    }

    /// <summary>
    /// Writes to the active segment no more (a write to it, or the creation of the next one, failed): later records go
    /// to a new segment, and this one is deleted once its records are settled, even as the last one (on a full disk,
    /// that is what gives the writer room again). One with nothing left to settle, or nothing ever written, goes now.
    /// </summary>
    private void SealActive()
    {
        CloseActive();
        if (_activeSegment is not { } segment)
        {
            return;
        }

        _activeSegment = null;
        var empty = segment.Length <= RecordFormat.SegmentHeaderSize && segment.Pending == 0;
        var settled = ReferenceEquals(Oldest, segment) && segment.Pending == 0 && segment.AckOffset >= segment.Length;
        if (empty || settled)
        {
            Remove(segment);
            if (ReferenceEquals(_readSegment, segment))
            {
                _readSegment = null;
                _readOffset = 0;
            }
        }
    }

    private Segment? Next(Segment segment)
    {
        var index = _segments.IndexOf(segment);
        return index >= 0 && index + 1 < _segments.Count ? _segments[index + 1] : null;
    }

    /// <summary>
    /// Gets a test seam: asked with the size of every write of records to a segment; an exception it returns is thrown as
    /// if the disk had failed that write (a disk with room for smaller writes only, for example).
    /// </summary>
    public Func<int, Exception?>? AppendFault { get; init; }

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
            // No segment is left behind empty: the file goes with the failed write (closing it fails too, on a full disk,
            // as it tries the buffered header again).
            StorageFiles.CloseQuietly(stream);
            StorageFiles.TryDelete(path);
            throw;
        }

        _active = stream;
        _activeSegment = new Segment(id, path, RecordFormat.SegmentHeaderSize, RecordFormat.SegmentHeaderSize);
        _segments.Add(_activeSegment);

        // Not read yet: reading starts at the oldest segment, which holds the records restored at start if any (the writer
        // may write before delivery first reads; starting at the new segment passed them by, and they were lost).
        _readSegment ??= Oldest;
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
        // Every write is flushed before it counts, so only a failed one leaves bytes buffered; closing then fails again
        // (a full disk), and those bytes were cut off or are skipped as damage anyway.
        var active = _active;
        _active = null;
        if (active is not null)
        {
            StorageFiles.CloseQuietly(active);
        }
    }
}
