using System.Buffers.Binary;
using System.IO.Hashing;

namespace GrowlyticsSdk.Storage;

/// <summary>
/// <c>queue.settled</c>: runs of records settled after the acknowledged position (requests settle out of order), so a
/// restart does not send them again. Each run names its segment, its byte range and the checksum of its first record;
/// a run whose first record is not found with that checksum at the next start is ignored (its records are sent again),
/// so a stale file costs duplicates, not messages (the loader also numbers new segments after every segment the file
/// names, so a run never meets a different file of the same number). Replaced atomically; at most <see cref="MaxRuns"/>
/// runs are kept: those restored at the start, then the earliest (the others' records are sent again, after every record
/// kept settled: a user's record sent again is never older than one of theirs that is not).
/// </summary>
internal static class SettledFile
{
    public const string FileName = "queue.settled";

    /// <summary>The most runs the file keeps: about 3.6 KB, well within the room <see cref="StorageLimits"/> keeps for the SDK's other files.</summary>
    public const int MaxRuns = 128;

    private const int HeaderSize = 12;
    private const int RunSize = 28;
    private const int Version = 1;

    /// <summary>The most bytes the file takes: its header, <see cref="MaxRuns"/> runs and the checksum.</summary>
    public const int MostBytes = HeaderSize + (MaxRuns * RunSize) + 4;
    private static readonly byte[] Magic = [(byte)'G', (byte)'L', (byte)'Q', (byte)'R'];

    public static byte[] Serialize(List<SettledRun> runs)
    {
        var bytes = new byte[HeaderSize + (runs.Count * RunSize) + 4];
        Magic.CopyTo(bytes, 0);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(4), Version);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(8), runs.Count);
        var offset = HeaderSize;
        foreach (var run in runs)
        {
            BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(offset), run.SegmentId);
            BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(offset + 8), run.Start);
            BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(offset + 16), run.End);
            BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(offset + 24), run.FirstChecksum);
            offset += RunSize;
        }

        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(offset), Crc32.HashToUInt32(bytes.AsSpan(0, offset)));
        return bytes;
    }

    /// <summary>
    /// Reads the runs; none when the file is missing, damaged or of another version (their records are then sent again).
    /// <paramref name="damaged"/> tells a file that is there and not usable (cut short, changed, larger than any this
    /// version writes, of another version) from one that is missing or empty (emptied by a deletion that could not delete it).
    /// </summary>
    public static List<SettledRun> Read(string directory, out bool damaged)
    {
        damaged = false;
        var runs = new List<SettledRun>();
        var path = Path.Combine(directory, FileName);
        // A file there but unreadable (held open by another program, no read permission) throws, as an unreadable
        // position file does: the loader then leaves the whole stored queue for the next start (event 4016) rather than
        // send again what the file names as delivered.
        var info = new FileInfo(path);
        if (!info.Exists || info.Length == 0)
        {
            return runs;
        }

        if (info.Length > MostBytes)
        {
            damaged = true;
            return runs;
        }

        var bytes = File.ReadAllBytes(path);

        if (bytes.Length < HeaderSize + 4
            || !bytes.AsSpan(0, 4).SequenceEqual(Magic)
            || BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(4)) != Version)
        {
            damaged = bytes.Length > 0;
            return runs;
        }

        var count = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(8));
        if (count is < 0 or > MaxRuns
            || bytes.Length != HeaderSize + (count * RunSize) + 4
            || BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(bytes.Length - 4)) != Crc32.HashToUInt32(bytes.AsSpan(0, bytes.Length - 4)))
        {
            damaged = true;
            return runs;
        }

        for (var i = 0; i < count; i++)
        {
            var offset = HeaderSize + (i * RunSize);
            var segmentId = BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(offset));
            if (segmentId is <= 0 or > SegmentLoader.MaxSegmentId)
            {
                // Names no segment: new segments, numbered after it, would get names no start reads.
                continue;
            }

            runs.Add(new SettledRun(
                segmentId,
                BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(offset + 8)),
                BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(offset + 16)),
                BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(offset + 24))));
        }

        return runs;
    }
}

/// <summary>Records of one segment, from <see cref="Start"/> to <see cref="End"/>, all settled; the first one's checksum identifies them.</summary>
internal readonly struct SettledRun
{
    public SettledRun(long segmentId, long start, long end, uint firstChecksum, bool restored = false)
    {
        SegmentId = segmentId;
        Start = start;
        End = end;
        FirstChecksum = firstChecksum;
        Restored = restored;
    }

    /// <summary>
    /// Gets a value indicating whether the run holds records a previous run settled (not in the file: known at the start).
    /// Such runs are always kept, so what a restart sends again never adds up over restarts.
    /// </summary>
    public bool Restored { get; }

    public long SegmentId { get; }

    public long Start { get; }

    public long End { get; }

    public uint FirstChecksum { get; }
}
