namespace GrowlyticsSdk.Storage;

// The writing side of the log: records appended in group commits, failures trimmed to what was not written.
internal sealed partial class SegmentLog
{
    // A commit's bytes, kept for the next commit (grown by doubling, up to a segment's size; a larger single record gets
    // a buffer of its own): a burst's commits allocated their size anew, hundreds of kilobytes each, in the large-object heap.
    private byte[] _commitBuffer = [];

    /// <summary>
    /// How far before its write a record's time must be for the record to count as recorded while the wall clock was set
    /// back: a minute, the least <see cref="GrowlyticsOptions.MaxStorageAge"/>. Records wait in memory for a commit far less
    /// than that; one kept there longer (the disk failed meanwhile) is judged by its write too, kept that much longer.
    /// </summary>
    public const long BackdatedSlackMs = 60_000;

    /// <summary>
    /// Appends records with the calls each settles. The list is emptied once all are written; if anything fails, only
    /// those not written stay in it (for the caller to retry), whatever the exception. A write holding a record whose time
    /// is more than <see cref="BackdatedSlackMs"/> before <paramref name="writtenMs"/> (the steady clock's time now) is
    /// noted in its segment (<see cref="Segment.NoteBackdatedWrite"/>): its age is judged by that write too.
    /// </summary>
    public void Append(List<(byte[] Payload, long AcceptedMs, int Calls)> records, long writtenMs = long.MinValue)
    {
        var index = 0;

        // How many records one write takes at most: halved after a write the disk had no room for (see TryReopenActive).
        var most = int.MaxValue;
        try
        {
            while (index < records.Count)
            {
                if (_active is null || _activeSegment!.Length >= _segmentSize)
                {
                    try
                    {
                        if (!TryAppendToLoaded())
                        {
                            Roll();
                        }
                    }
                    catch
                    {
                        // The segment before (closed by Roll) is written to no more: sealed, like one whose write failed.
                        SealActive();
                        throw;
                    }
                }

                var segment = _activeSegment!;
                var size = 0;
                var end = index;
                while (end < records.Count && (end == index || (end - index < most && segment.Length + size + RecordFormat.RecordHeaderSize + records[end].Payload.Length <= _segmentSize)))
                {
                    size += RecordFormat.RecordHeaderSize + records[end].Payload.Length;
                    end++;
                }

                var buffer = CommitBuffer(size);
                var written = 0;
                for (var i = index; i < end; i++)
                {
                    written += RecordFormat.Write(buffer.AsSpan(written), records[i].Payload, records[i].AcceptedMs);
                }

                try
                {
                    ThrowIfFaulted();
                    if (AppendFault?.Invoke(size) is { } fault)
                    {
                        throw fault;
                    }

                    _active!.Write(buffer, 0, size);
                    _active.Flush(flushToDisk: true);
                }
                catch (Exception ex)
                {
                    if (StorageFiles.IsDiskFull(ex) && end - index > 1 && TryReopenActive(segment))
                    {
                        // A nearly full disk may still take fewer records: a shutdown writing memory's messages in pieces of
                        // a segment kept only those before the first piece that did not fit.
                        most = (end - index) / 2;
                        continue;
                    }

                    // Cut off whatever reached the file past Length, so a retried write cannot leave the same records
                    // twice; if even that fails, the next start skips them as damage after the known length. Through a
                    // new handle: the old stream's SetLength first writes its buffered bytes again, which fails again on
                    // a full disk and left a torn record (reported as damage at the next start).
                    _ = TryReopenActive(segment);
                    SealActive();
                    throw;
                }

                if (writtenMs != long.MinValue && HoldsBackdated(records, index, end, writtenMs))
                {
                    segment.NoteBackdatedWrite(segment.Length, segment.Length + size, writtenMs);
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
        catch
        {
            // The records before index are written (and counted): only the rest is for the caller to retry. Also when
            // sealing or truncating failed in turn.
            records.RemoveRange(0, index);
            throw;
        }

        records.Clear();
    }

    /// <summary>
    /// After a write the disk had no room for: opens the segment being written again, cut back to the records it holds
    /// (the failed write's bytes, and whatever the old stream still buffered, go), for a smaller write. False if it
    /// cannot: the caller seals the segment as after any failed write.
    /// </summary>
    private bool TryReopenActive(Segment segment)
    {
        // Cut back through the old stream first (a write that went straight to the file, past the buffer, leaves no
        // buffered bytes to flush), so a reopen that fails leaves no written bytes past Length either.
        TryTruncateActive(segment.Length);
        CloseActive();
        FileStream? stream = null;
        try
        {
            stream = new FileStream(segment.Path, FileMode.Open, FileAccess.Write, FileShare.Read | FileShare.Delete);
            if (stream.Length != segment.Length)
            {
                stream.SetLength(segment.Length);
            }

            stream.Seek(segment.Length, SeekOrigin.Begin);
            _active = stream;
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            if (stream is not null)
            {
                StorageFiles.CloseQuietly(stream);
            }

            return false;
        }
    }

    private byte[] CommitBuffer(int size)
    {
        if (size <= _commitBuffer.Length)
        {
            return _commitBuffer;
        }

        if (size > _segmentSize)
        {
            return new byte[size];
        }

        _commitBuffer = new byte[Math.Max(size, (int)Math.Min(_segmentSize, 2L * _commitBuffer.Length))];
        return _commitBuffer;
    }

    /// <summary>
    /// At the first write after the start, makes the newest segment loaded at start the one written to, if it can take
    /// more: in this version's format, every byte in an intact record, below the segment size, and numbered after every
    /// other file and position in the folder (so its new records are still read after everything before them). A client
    /// started many times while offline otherwise left one more small file per start. False if not (a new segment then).
    /// </summary>
    private bool TryAppendToLoaded()
    {
        var segment = _appendTo;
        _appendTo = null;
        if (segment is not { Appendable: true, Removed: false, Gone: false }
            || segment.Id != _nextId - 1
            || segment.Length >= _segmentSize
            || _segments.Count == 0
            || !ReferenceEquals(_segments[_segments.Count - 1], segment))
        {
            return false;
        }

        FileStream stream;
        try
        {
            // The file exists (its mode was set when it was made): opened as it is.
            stream = new FileStream(segment.Path, FileMode.Open, FileAccess.Write, FileShare.Read | FileShare.Delete);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }

        try
        {
            if (stream.Length != segment.Length)
            {
                // Changed since it was loaded: not this log's to append to.
                StorageFiles.CloseQuietly(stream);
                return false;
            }

            stream.Seek(segment.Length, SeekOrigin.Begin);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            StorageFiles.CloseQuietly(stream);
            return false;
        }

        CloseActive();
        _active = stream;
        _activeSegment = segment;
        _readSegment ??= Oldest;
        return true;
    }

    private static bool HoldsBackdated(List<(byte[] Payload, long AcceptedMs, int Calls)> records, int from, int end, long writtenMs)
    {
        for (var i = from; i < end; i++)
        {
            if (records[i].AcceptedMs < writtenMs - BackdatedSlackMs)
            {
                return true;
            }
        }

        return false;
    }
}
