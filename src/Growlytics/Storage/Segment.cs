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

    /// <summary>Gets or sets the acceptance time (Unix ms) of the newest record.</summary>
    public long NewestMs { get; set; }
}
