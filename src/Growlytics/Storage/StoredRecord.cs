namespace GrowlyticsSdk.Storage;

/// <summary>A record read from the stored queue and not settled yet: where it is, what it holds, and who reads it.</summary>
internal sealed class StoredRecord
{
    public StoredRecord(Segment segment, long offset, long end, byte[] payload, long acceptedMs, int calls)
    {
        Calls = calls;
        Segment = segment;
        Offset = offset;
        End = end;
        Payload = payload;
        AcceptedMs = acceptedMs;
    }

    public Segment Segment { get; }

    /// <summary>Gets the offset of the record in its segment.</summary>
    public long Offset { get; }

    /// <summary>Gets the offset just past the record.</summary>
    public long End { get; }

    public byte[] Payload { get; }

    public long AcceptedMs { get; }

    /// <summary>Gets how many accepted calls the record settles, as counted in the log's pending calls.</summary>
    public int Calls { get; }

    /// <summary>Gets or sets a value indicating whether the record was settled (delivered, or dropped by a limit).</summary>
    public bool Settled { get; set; }

    /// <summary>Gets or sets what the reader attached to the record (the message on its way).</summary>
    public object? Tag { get; set; }
}
