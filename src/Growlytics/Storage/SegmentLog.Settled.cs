namespace GrowlyticsSdk.Storage;

// The runs of records settled after the acknowledged position, kept in queue.settled so a restart does not send them again.
internal sealed partial class SegmentLog
{
    // What the file holds now: empty when there is no file, null when not known (at the start, or after the local data
    // was deleted: a file may be there).
    private byte[]? _savedSettled;

    // Whether a record was settled or the position moved since the runs were last saved (set at the start: the runs a
    // previous run left are saved again, those that no longer match dropped).
    private bool _settledDirty;

    // Reused from one save to the next: with the read window full of alternately settled records there are thousands of
    // runs, and lists of that size allocated per save went to the large-object heap.
    private readonly List<SettledRun> _runs = [];
    private readonly List<SettledRun> _merged = [];

    /// <summary>
    /// Gets the runs of settled records after the acknowledged position, in segment and offset order: those read and
    /// settled in this run, and those a previous run settled (not read again). When there are more than
    /// <see cref="SettledFile.MaxRuns"/>, the restored runs are kept first (there are never more of them than the file
    /// held), then the earliest of the others: the records sent again after a restart all come after every record kept
    /// settled that this run read, so a user's records sent again are the newest of theirs settled, never an older one
    /// sent after a newer one (with REST, a customer's profile would keep the older value). Restored runs are older
    /// than any of a user's records settled in this run (a user's records settle in call order), so keeping them first
    /// keeps that true. The list is the log's own, valid until the next call.
    /// </summary>
    internal List<SettledRun> SettledRuns()
    {
        var runs = _runs;
        runs.Clear();
        foreach (var segment in _segments)
        {
            if (segment.SettledRuns is { } restored)
            {
                foreach (var run in restored)
                {
                    if (run.Start >= segment.AckOffset)
                    {
                        runs.Add(run);
                    }
                }
            }
        }

        var sorted = runs.Count == 0;
        StoredRecord? first = null;
        StoredRecord? last = null;
        for (var node = _outstanding.First; node is not null; node = node.Next)
        {
            var record = node.Value;
            if (record.Settled && first is not null && ReferenceEquals(record.Segment, first.Segment))
            {
                last = record;
                continue;
            }

            AddRun(runs, first, last);
            first = record.Settled && !record.Segment.Removed ? record : null;
            last = first;
        }

        AddRun(runs, first, last);
        if (!sorted)
        {
            // Restored runs come first in the list; read ones are in order already (the outstanding list is in file order).
            runs.Sort(ByPosition);
        }

        var merged = Merge(runs, _merged);
        if (merged.Count > SettledFile.MaxRuns)
        {
            // The restored runs, then the others in file order (the sort is stable: Sort alone is not).
            var kept = 0;
            foreach (var run in merged)
            {
                if (run.Restored)
                {
                    kept++;
                }
            }

            var room = SettledFile.MaxRuns - kept;
            var write = 0;
            for (var read = 0; read < merged.Count; read++)
            {
                if (merged[read].Restored || room-- > 0)
                {
                    merged[write++] = merged[read];
                }
            }

            merged.RemoveRange(write, merged.Count - write);
        }

        return merged;
    }

    private void SaveSettled()
    {
        if (!_settledDirty)
        {
            return;
        }

        var runs = Oldest is null ? [] : SettledRuns();
        if (runs.Count == 0)
        {
            // Nothing settled after the position: no file (one left behind is harmless, its runs are checked at the start).
            var path = Path.Combine(_directory, SettledFile.FileName);
            if (_savedSettled is not { Length: 0 } && File.Exists(path))
            {
                ThrowIfFaulted();
                File.Delete(path);
            }

            _savedSettled = [];
            _settledDirty = false;
            return;
        }

        var bytes = SettledFile.Serialize(runs);
        if (_savedSettled is not { } saved || !saved.AsSpan().SequenceEqual(bytes))
        {
            ThrowIfFaulted();
            StorageFiles.WriteAtomically(Path.Combine(_directory, SettledFile.FileName), bytes);
            _savedSettled = bytes;
        }

        _settledDirty = false;
    }

    private static void AddRun(List<SettledRun> runs, StoredRecord? first, StoredRecord? last)
    {
        if (first is not null && last is not null)
        {
            runs.Add(new SettledRun(first.Segment.Id, first.Offset, last.End, first.Checksum));
        }
    }

    private static int ByPosition(SettledRun a, SettledRun b) =>
        a.SegmentId != b.SegmentId ? a.SegmentId.CompareTo(b.SegmentId) : a.Start.CompareTo(b.Start);

    // Joins runs that touch or overlap and are both restored or both read in this run: the first keeps its checksum. (A
    // run read in this run next to a restored one stays apart: kept with it, its records could be newer than those of
    // an earlier run not kept, see SettledRuns; the next start restores both and joins them.)
    private static List<SettledRun> Merge(List<SettledRun> sorted, List<SettledRun> merged)
    {
        merged.Clear();
        foreach (var run in sorted)
        {
            if (merged.Count > 0 && merged[merged.Count - 1] is var previous && previous.SegmentId == run.SegmentId && run.Start <= previous.End
                && previous.Restored == run.Restored)
            {
                merged[merged.Count - 1] = new SettledRun(
                    previous.SegmentId, previous.Start, Math.Max(previous.End, run.End), previous.FirstChecksum, previous.Restored);
                continue;
            }

            merged.Add(run);
        }

        return merged;
    }

    /// <summary>
    /// At close, for a log that saves no position (its folder could not be read at start, or was taken again): deletes
    /// the segments whose records are all settled, the one being written included. The next start reads such a log's
    /// segments from their start, so each would send its records again, and every run would leave one more file behind
    /// (one the next start could not read either, if the folder still cannot be read). Does nothing for a log that saves
    /// its position, or while a position past every segment waits to be saved (see <see cref="PassEverySegment"/>).
    /// </summary>
    public void RemoveSettledWithoutPosition()
    {
        if (SavesPosition || _deleting || _pass is not null)
        {
            return;
        }

        SealActive();
        for (var i = _segments.Count - 1; i >= 0; i--)
        {
            if (i < _segments.Count && _segments[i] is { Pending: 0 } segment)
            {
                Remove(segment);
                if (ReferenceEquals(_readSegment, segment))
                {
                    _readSegment = null;
                    _readOffset = 0;
                }
            }
        }
    }
}
