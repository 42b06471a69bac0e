namespace GrowlyticsSdk.Storage;

/// <summary>
/// Holds the committed bytes of the segment being read, so a batch reads the file once, not per record. A segment only
/// grows (its committed bytes never change), so when it has grown since the last read only the new bytes are read, into
/// a buffer that doubles as needed and is reused for the next segment: reading the segment being written, commit after
/// commit, costs each byte once (it re-read and copied the whole segment after every commit, often in the large-object
/// heap: about 340 B allocated per message in a burst with storage). The file stays open while its segment is read, so a
/// segment deleted meanwhile (its folder removed while the client runs) is still read to its end where the OS allows it.
/// </summary>
internal sealed class SegmentCache : IDisposable
{
    private const int InitialCapacity = 16 * 1024;

    private Segment? _segment;
    private FileStream? _file;
    private byte[] _data = [];
    private int _length;

    /// <summary>
    /// Gets a value indicating whether the file of the segment last read is gone (not found when opened): the bytes not
    /// read from it yet never will be.
    /// </summary>
    public bool Missing { get; private set; }

    /// <summary>
    /// Returns a buffer whose first <paramref name="length"/> bytes are the committed part of the segment (fewer if the
    /// file was cut, or could not be read past them; none if it cannot be read at all).
    /// </summary>
    public byte[] Read(Segment segment, out int length)
    {
        if (!ReferenceEquals(_segment, segment))
        {
            Close();
            _segment = segment;
            _length = 0;
        }

        if (_length < segment.Length)
        {
            ReadMore(segment);
        }

        length = _length;
        return _data;
    }

    /// <summary>Forgets a removed segment's bytes; the buffer is kept for the next segment.</summary>
    public void Forget(Segment segment)
    {
        if (ReferenceEquals(_segment, segment))
        {
            // Closed before the file is deleted (Windows keeps the name of an open file until its last handle closes).
            Close();
            _segment = null;
            _length = 0;
        }
    }

    /// <summary>Forgets the segment being read and zeroes every byte the buffer kept (of earlier segments too); the buffer is kept for the next segment.</summary>
    public void Erase()
    {
        Close();
        _segment = null;
        Array.Clear(_data, 0, _data.Length);
        _length = 0;
    }

    public void Dispose() => Close();

    private void ReadMore(Segment segment)
    {
        try
        {
            if (_file is null)
            {
                if (segment.Gone)
                {
                    // Its folder was removed (see Segment.Gone): as if the file were missing.
                    Missing = true;
                    return;
                }

                // Unbuffered: the bytes go straight into the cache's own buffer, and each read sees what was appended since.
                _file = new FileStream(segment.Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, bufferSize: 1);
                Missing = false;
            }

            var stream = _file;
            var want = (int)Math.Min(segment.Length, stream.Length);
            if (want <= _length)
            {
                return;
            }

            if (want > _data.Length)
            {
                var doubled = (int)Math.Min(Math.Max(InitialCapacity, 2L * _data.Length), int.MaxValue);
                var grown = new byte[Math.Max(want, doubled)];
                Buffer.BlockCopy(_data, 0, grown, 0, _length);
                _data = grown;
            }

            stream.Position = _length;
            while (_length < want)
            {
                var n = stream.Read(_data, _length, want - _length);
                if (n == 0)
                {
                    break;
                }

                _length += n;
            }
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            // Gone before it was opened: the log settles what was not read as lost (see SegmentLog.Read).
            Missing = true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Unreadable now: what was read stays, and the next read opens the file again. The records past it are passed
            // over and settled as lost (DropReason.Corrupted) once the reader moves on.
            Close();
        }
    }

    private void Close()
    {
        _file?.Dispose();
        _file = null;
        Missing = false;
    }
}
