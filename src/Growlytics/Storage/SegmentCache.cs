namespace GrowlyticsSdk.Storage;

/// <summary>Holds the committed bytes of the segment being read, so a batch reads the file once, not per record.</summary>
internal sealed class SegmentCache
{
    private Segment? _segment;
    private byte[] _data = [];

    /// <summary>Returns the committed part of the segment (shorter if the file was cut, empty if it cannot be read).</summary>
    public byte[] Read(Segment segment)
    {
        if (ReferenceEquals(_segment, segment) && _data.Length >= segment.Length)
        {
            return _data;
        }

        try
        {
            using var stream = new FileStream(segment.Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            var data = new byte[Math.Min(segment.Length, stream.Length)];
            var read = 0;
            while (read < data.Length)
            {
                var n = stream.Read(data, read, data.Length - read);
                if (n == 0)
                {
                    break;
                }

                read += n;
            }

            _data = read == data.Length ? data : data.AsSpan(0, read).ToArray();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Unreadable now: its records are passed over and settled as lost (DropReason.Corrupted).
            _data = [];
        }

        _segment = segment;
        return _data;
    }

    public void Forget(Segment segment)
    {
        if (ReferenceEquals(_segment, segment))
        {
            _segment = null;
            _data = [];
        }
    }
}
