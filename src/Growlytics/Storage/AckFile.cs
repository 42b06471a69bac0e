using System.Buffers.Binary;
using System.IO.Hashing;

namespace GrowlyticsSdk.Storage;

/// <summary>
/// <c>queue.ack</c>: the position (segment id, byte offset) before which every record was settled. Replaced
/// atomically; a lost update only means some settled records are sent again, with the same message ids.
/// </summary>
internal static class AckFile
{
    public const string FileName = "queue.ack";
    internal const int Size = 28;
    private static readonly byte[] Magic = [(byte)'G', (byte)'L', (byte)'Q', (byte)'A'];

    public static void Write(string directory, long segmentId, long offset)
    {
        var bytes = new byte[Size];
        Magic.CopyTo(bytes, 0);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(4), RecordFormat.FormatVersion);
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(8), segmentId);
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(16), offset);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(24), Crc32.HashToUInt32(bytes.AsSpan(0, 24)));
        StorageFiles.WriteAtomically(Path.Combine(directory, FileName), bytes);
    }

    /// <summary>Reads the position; <see langword="null"/> when there is none, <paramref name="damaged"/> when the file is unusable.</summary>
    public static (long SegmentId, long Offset)? Read(string directory, out bool damaged)
    {
        damaged = false;
        var path = Path.Combine(directory, FileName);
        if (!File.Exists(path))
        {
            return null;
        }

        var info = new FileInfo(path);
        if (info.Length == 0)
        {
            // Emptied by a deletion that could not delete it (a read-only folder): no position.
            return null;
        }

        if (info.Length != Size)
        {
            damaged = true;
            return null;
        }

        var bytes = File.ReadAllBytes(path);
        if (!bytes.AsSpan(0, 4).SequenceEqual(Magic)
            || BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(4)) is < RecordFormat.OldestReadableVersion or > RecordFormat.FormatVersion
            || BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(24)) != Crc32.HashToUInt32(bytes.AsSpan(0, 24)))
        {
            damaged = true;
            return null;
        }

        var segmentId = BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(8));
        if (segmentId is < 0 or > SegmentLoader.MaxSegmentId)
        {
            // No segment is numbered there, and new ones, numbered after it, would get names no start reads.
            damaged = true;
            return null;
        }

        return (segmentId, BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(16)));
    }
}
