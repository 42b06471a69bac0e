namespace GrowlyticsSdk.Storage;

/// <summary>
/// A place in the stored queue, ordered as its records are written: a segment's number, then an offset in it. Every
/// record written before <see cref="DurableQueue.End"/> was taken lies before it, every record written after lies at or
/// after it.
/// </summary>
internal readonly record struct StoredPosition(long Segment, long Offset)
{
    /// <summary>Gets a position before every record.</summary>
    public static StoredPosition First => new(long.MinValue, 0);

    /// <summary>Gets a position after every record.</summary>
    public static StoredPosition Last => new(long.MaxValue, long.MaxValue);

    /// <summary>Gets whether this position is at or before a record at <paramref name="segment"/> and <paramref name="offset"/>.</summary>
    public bool IsAtOrBefore(long segment, long offset) => segment > Segment || (segment == Segment && offset >= Offset);

    /// <summary>Gets whether this position is at or before <paramref name="other"/>.</summary>
    public bool IsAtOrBefore(StoredPosition other) => IsAtOrBefore(other.Segment, other.Offset);
}
