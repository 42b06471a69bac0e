using System.Buffers.Binary;
using System.IO.Hashing;

namespace GrowlyticsSdk.Storage;

/// <summary>
/// The on-disk layout of the durable queue. A segment file starts with an 8-byte header (<c>GLQS</c>, format
/// version, reserved) followed by records: a 2-byte marker, the payload length, the time the message was
/// accepted (Unix ms), a CRC-32 over length, time and payload, then the payload (see <see cref="StoredMessages"/>).
/// The marker lets a reader find the next record after damage; the CRC rejects torn or flipped records.
/// </summary>
internal static class RecordFormat
{
    /// <summary>The format this version writes: 2, whose payload describes the message (see <see cref="StoredMessages"/>).</summary>
    public const int FormatVersion = 2;

    /// <summary>The oldest format this version reads: 1 (0.1.0), whose payload was the batch protocol's message object.</summary>
    public const int OldestReadableVersion = 1;
    public const int SegmentHeaderSize = 8;
    public const int RecordHeaderSize = 18;

    /// <summary>No single message comes near this; a larger length is damage.</summary>
    public const int MaxPayload = 4 * 1024 * 1024;

    private const byte Marker0 = 0x47;
    private const byte Marker1 = 0xA5;
    private static readonly byte[] SegmentMagic = [(byte)'G', (byte)'L', (byte)'Q', (byte)'S'];

    public static byte[] SegmentHeader()
    {
        var header = new byte[SegmentHeaderSize];
        SegmentMagic.CopyTo(header, 0);
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(4), FormatVersion);
        return header;
    }

    /// <summary>Reads a segment header: the format version, or -1 when the bytes are not a segment header.</summary>
    public static int ReadVersion(ReadOnlySpan<byte> data)
    {
        if (data.Length < SegmentHeaderSize || !data.Slice(0, 4).SequenceEqual(SegmentMagic))
        {
            return -1;
        }

        return BinaryPrimitives.ReadUInt16LittleEndian(data.Slice(4));
    }

    public static int Write(Span<byte> destination, ReadOnlySpan<byte> payload, long acceptedMs)
    {
        destination[0] = Marker0;
        destination[1] = Marker1;
        BinaryPrimitives.WriteInt32LittleEndian(destination.Slice(2), payload.Length);
        BinaryPrimitives.WriteInt64LittleEndian(destination.Slice(6), acceptedMs);
        payload.CopyTo(destination.Slice(RecordHeaderSize));
        BinaryPrimitives.WriteUInt32LittleEndian(destination.Slice(14), Checksum(destination.Slice(2, 12), payload));
        return RecordHeaderSize + payload.Length;
    }

    /// <summary>Gets the checksum stored in the header of the record at <paramref name="offset"/> (already checked).</summary>
    public static uint StoredChecksum(ReadOnlySpan<byte> data, int offset) => BinaryPrimitives.ReadUInt32LittleEndian(data.Slice(offset + 14));

    /// <summary>Checks for a whole, intact record at <paramref name="offset"/>; returns its total length or 0.</summary>
    public static int TryRead(ReadOnlySpan<byte> data, int offset, out long acceptedMs)
    {
        acceptedMs = 0;
        var rest = data.Slice(offset);
        if (rest.Length < RecordHeaderSize || rest[0] != Marker0 || rest[1] != Marker1)
        {
            return 0;
        }

        var length = BinaryPrimitives.ReadInt32LittleEndian(rest.Slice(2));
        if (length <= 0 || length > MaxPayload || length > rest.Length - RecordHeaderSize)
        {
            return 0;
        }

        if (Checksum(rest.Slice(2, 12), rest.Slice(RecordHeaderSize, length)) != BinaryPrimitives.ReadUInt32LittleEndian(rest.Slice(14)))
        {
            return 0;
        }

        acceptedMs = BinaryPrimitives.ReadInt64LittleEndian(rest.Slice(6));
        return RecordHeaderSize + length;
    }

    /// <summary>
    /// Finds the next intact record at or after <paramref name="offset"/>, stepping over damage. Returns its
    /// offset (or <paramref name="end"/> when none is left) and whether bytes had to be skipped.
    /// </summary>
    public static int NextRecord(ReadOnlySpan<byte> data, int offset, int end, out int length, out long acceptedMs, out bool skipped)
    {
        skipped = false;
        var window = data.Slice(0, end);
        while (offset < end)
        {
            length = TryRead(window, offset, out acceptedMs);
            if (length > 0)
            {
                return offset;
            }

            skipped = true;
            var next = window.Slice(offset + 1).IndexOf(Marker0);
            offset = next < 0 ? end : offset + 1 + next;
        }

        length = 0;
        acceptedMs = 0;
        return end;
    }

    [ThreadStatic]
    private static Crc32? _crc;

    /// <summary>CRC-32 (IEEE 802.3) over a record's length and time, then its payload: the two are not adjacent on disk.</summary>
    private static uint Checksum(ReadOnlySpan<byte> lengthAndTime, ReadOnlySpan<byte> payload)
    {
        // One hasher per thread (the writer's and the reader's), reset for each record rather than made anew.
        var crc = _crc ??= new Crc32();
        crc.Reset();
        crc.Append(lengthAndTime);
        crc.Append(payload);
        return crc.GetCurrentHashAsUInt32();
    }
}
