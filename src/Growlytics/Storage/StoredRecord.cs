namespace GrowlyticsSdk.Storage;

/// <summary>A record read from the stored queue and not settled yet: where it is, what it holds, and who reads it.</summary>
internal sealed class StoredRecord
{
    public StoredRecord(Segment segment, long offset, long end, byte[] payload, long acceptedMs, int calls, uint checksum)
    {
        Checksum = checksum;
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

    /// <summary>Gets the checksum in the record's header: what identifies it in <see cref="SettledFile"/>.</summary>
    public uint Checksum { get; }

    /// <summary>Gets how many accepted calls the record settles, as counted in the log's pending calls.</summary>
    public int Calls { get; }

    /// <summary>Gets or sets a value indicating whether the record was settled (delivered, or dropped by a limit).</summary>
    public bool Settled { get; set; }

    private object? _tag;

    /// <summary>Gets what the reader attached to the record (the message on its way), or <see langword="null"/>.</summary>
    public object? Tag
    {
        get
        {
            var tag = Volatile.Read(ref _tag);
            return tag is DroppedBeforeAttach ? null : tag;
        }
    }

    /// <summary>
    /// Gets the reason a limit dropped the record after it was read and before its reader attached to it (the reader
    /// then counts the drop), or <see langword="null"/>.
    /// </summary>
    public DropReason? DroppedBeforeAttachReason => (Volatile.Read(ref _tag) as DroppedBeforeAttach)?.Reason;

    /// <summary>Attaches the reader's object; <see langword="false"/> when a limit dropped the record first.</summary>
    public bool TryAttach(object reader) => Interlocked.CompareExchange(ref _tag, reader, null) is null;

    /// <summary>
    /// Marks the record dropped by a limit before its reader attached to it; <see langword="false"/> when the reader was
    /// first (the drop then goes through what it attached).
    /// </summary>
    public bool TryMarkDroppedBeforeAttach(DropReason reason) => Interlocked.CompareExchange(ref _tag, new DroppedBeforeAttach(reason), null) is null;

    private sealed class DroppedBeforeAttach
    {
        public DroppedBeforeAttach(DropReason reason) => Reason = reason;

        public DropReason Reason { get; }
    }
}
