namespace GrowlyticsSdk.Storage;

/// <summary>One segment file of the durable queue, as far as the queue knows it.</summary>
internal sealed class Segment
{
    public Segment(long id, string path, long ackOffset, long length)
    {
        Id = id;
        Path = path;
        AckOffset = ackOffset;
        Length = length;
    }

    public long Id { get; }

    public string Path { get; }

    /// <summary>Gets or sets the offset of the first byte not yet acknowledged (settled by the service).</summary>
    public long AckOffset { get; set; }

    /// <summary>Gets or sets the bytes known to be written (the committed part; a reader never reads past it).</summary>
    public long Length { get; set; }

    /// <summary>Gets or sets the number of intact records not yet acknowledged.</summary>
    public int Pending { get; set; }

    /// <summary>Gets or sets the calls those records settle (see <see cref="StoredMessages.ReadCalls"/>): what statistics count.</summary>
    public long PendingCalls { get; set; }

    /// <summary>
    /// Gets or sets a value indicating whether the segment's file went with a folder removed while the client ran: a file
    /// at <see cref="Path"/> now (in a folder made again there) is not this segment's, and is neither read nor deleted.
    /// </summary>
    public bool Gone { get; set; }

    /// <summary>Gets or sets a value indicating whether the segment was removed from the log (its file deleted).</summary>
    public bool Removed { get; set; }

    /// <summary>
    /// Gets or sets a value indicating whether the segment was loaded at start in this version's format with every byte in
    /// an intact record: the writer may append to it (see <see cref="SegmentLog"/>) instead of starting a new file.
    /// </summary>
    public bool Appendable { get; set; }

    /// <summary>Gets or sets the acceptance time (Unix ms) of the newest record.</summary>
    public long NewestMs { get; set; }

    // The runs of bytes this client wrote holding a message whose time is well before the write (recorded while the wall
    // clock was set back), each with the steady clock's time of its latest write; adjacent runs are merged. Null: none.
    private List<(long Start, long End, long WrittenMs)>? _backdated;
    private long _latestBackdatedMs = long.MinValue;

    /// <summary>
    /// Gets the time the segment's age is judged by: <see cref="NewestMs"/>, or the steady clock's time of the latest write
    /// that held a message recorded while the wall clock was set back (<see cref="NoteBackdatedWrite"/>) when that is later.
    /// </summary>
    public long ExpiryMs => Math.Max(NewestMs, _latestBackdatedMs);

    /// <summary>
    /// Notes that the bytes from <paramref name="start"/> to <paramref name="end"/>, written at <paramref name="writtenMs"/> by
    /// the steady clock (<see cref="StorageLimits.SteadyNowMs"/>), hold a message whose time is well before that: recorded
    /// while the wall clock was set back, it is expired only once its write is as old too (see <see cref="WrittenMsAt"/>).
    /// </summary>
    public void NoteBackdatedWrite(long start, long end, long writtenMs)
    {
        _backdated ??= [];
        _latestBackdatedMs = Math.Max(_latestBackdatedMs, writtenMs);
        if (_backdated.Count > 0 && _backdated[_backdated.Count - 1] is var last && last.End == start)
        {
            // Writes one after the other while the clock stays back: one run, judged by the latest (never expired early).
            _backdated[_backdated.Count - 1] = (last.Start, end, Math.Max(last.WrittenMs, writtenMs));
            return;
        }

        _backdated.Add((start, end, writtenMs));
    }

    /// <summary>
    /// Gets the steady clock's time of the write of the record at <paramref name="offset"/> when that write held a message
    /// recorded while the wall clock was set back (its run's latest write), else <see cref="long.MinValue"/>: the record
    /// is then judged by its own time alone.
    /// </summary>
    public long WrittenMsAt(long offset)
    {
        if (_backdated is null)
        {
            return long.MinValue;
        }

        foreach (var (start, end, writtenMs) in _backdated)
        {
            if (offset >= start && offset < end)
            {
                return writtenMs;
            }
        }

        return long.MinValue;
    }

    /// <summary>
    /// Gets or sets the runs of records a previous run settled after the acknowledged position (see <see cref="SettledFile"/>),
    /// in order: not counted as pending, passed over when read, and kept in the file until the position passes them.
    /// </summary>
    public List<SettledRun>? SettledRuns { get; set; }

    /// <summary>Gets the end of the settled run that holds <paramref name="offset"/>, or -1.</summary>
    public long SettledRunEnd(long offset)
    {
        if (SettledRuns is { } runs)
        {
            foreach (var run in runs)
            {
                if (offset >= run.Start && offset < run.End)
                {
                    return run.End;
                }
            }
        }

        return -1;
    }
}
