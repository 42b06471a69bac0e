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

    /// <summary>Gets or sets a value indicating whether this client started the segment (not loaded at start).</summary>
    public bool StartedHere { get; set; }

    /// <summary>
    /// Gets or sets the steady clock's time (Unix ms, <see cref="StorageLimits.SteadyNowMs"/>) of the first write into a
    /// segment this client started, or <see cref="long.MinValue"/> (a segment loaded at start is judged by its records'
    /// times alone). No record in it was written earlier, so a record is expired only when both its own time and this one
    /// are older than the limit: one recorded while the wall clock was set back is not expired as soon as the clock is
    /// right again, and none is kept longer than its age by the steady clock.
    /// </summary>
    public long FirstWrittenMs { get; set; } = long.MinValue;

    /// <summary>Gets the time the segment's age is judged by: the later of <see cref="NewestMs"/> and <see cref="FirstWrittenMs"/>.</summary>
    public long ExpiryMs => Math.Max(NewestMs, FirstWrittenMs);

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
