using System.Globalization;

namespace GrowlyticsSdk.Storage;

/// <summary>
/// Reads what a previous run left in the storage folder: every segment after the acknowledged position is
/// scanned record by record; damage is stepped over and counted, unusable files are deleted, files of a newer
/// format are left alone for the version that wrote them.
/// </summary>
internal static class SegmentLoader
{
    public const string FilePrefix = "queue-";
    public const string FileExtension = ".seg";

    /// <summary>
    /// The highest segment number this version reads or writes: past any the clock can give (see
    /// <c>DurableQueue.HighestIdInUse</c>) and far below <see cref="long.MaxValue"/>, so numbering after any segment or
    /// position in the folder never wraps to a name no start reads. A file or position numbered above it is not this
    /// version's.
    /// </summary>
    public const long MaxSegmentId = long.MaxValue / 2;

    public static string SegmentPath(string directory, long id) => Path.Combine(directory, SegmentFileName(id));

    private static string SegmentFileName(long id) => FilePrefix + id.ToString("D16", CultureInfo.InvariantCulture) + FileExtension;

    /// <param name="directory">The storage folder.</param>
    /// <param name="maxFileBytes">The largest segment this version writes; a larger file is damage.</param>
    /// <param name="deferSpent">
    /// Whether the segment files that hold no record at all (a header alone, or emptied) are listed in
    /// <see cref="LoadResult.Spent"/> for the caller to delete later instead of being deleted here: a folder can hold
    /// thousands of them, and on some disks each deletion takes milliseconds, which the restore must not wait for.
    /// </param>
    public static LoadResult Load(string directory, long maxFileBytes, bool deferSpent = false)
    {
        var result = new LoadResult();

        // Temporary copies a process killed while writing them left behind: of the position files (only the writer, which
        // calls this before it writes any, writes them) and of the privacy file (written at the user's call, also while
        // this runs: a write whose copy this deletes writes it again, see PrivacyFile.Write).
        foreach (var temp in StorageFiles.TemporaryCopies(directory, AckFile.FileName)
            .Concat(StorageFiles.TemporaryCopies(directory, SettledFile.FileName))
            .Concat(StorageFiles.TemporaryCopies(directory, PrivacyFile.FileName)))
        {
            StorageFiles.TryDelete(temp);
        }

        var ack = AckFile.Read(directory, out var ackDamaged);
        if (ackDamaged)
        {
            result.Corrupt++;
        }

        // New segments are numbered after the acknowledged one, even when its file is gone: a segment numbered below
        // the position would be taken as acknowledged at the next start.
        if (ack is { } acknowledged)
        {
            result.MaxId = acknowledged.SegmentId;
        }

        // Runs settled after the position, used only with it (without a position every segment is read from its start).
        // New segments are numbered after every segment the file names, even when it is not used or the files are gone:
        // a run must never be checked against another segment of the same number.
        var settled = SettledFile.Read(directory, out var settledDamaged);
        if (settledDamaged)
        {
            // Skipped and counted as a damaged position file is: its records are read again.
            result.Corrupt++;
        }

        foreach (var run in settled)
        {
            result.MaxId = Math.Max(result.MaxId, run.SegmentId);
        }

        if (ack is null)
        {
            settled.Clear();
        }

        foreach (var (id, path) in ListSegments(directory))
        {
            result.MaxId = Math.Max(result.MaxId, id);
            if (ack is { } position && id < position.SegmentId)
            {
                // Settled, unless a newer version wrote it (this one never read it): that one is left for its writer.
                if (IsNewerFormat(path))
                {
                    // Counted as the loader counts such a file above the position.
                    result.Corrupt++;
                    result.NewerVersionFiles++;
                }
                else
                {
                    StorageFiles.TryDelete(path);
                }

                continue;
            }

            var start = ack is { } at && id == at.SegmentId ? at.Offset : RecordFormat.SegmentHeaderSize;
            Segment? segment;
            try
            {
                segment = LoadSegment(id, path, start, maxFileBytes, result, RunsOf(settled, id, start), deferSpent);
            }
            catch (FileNotFoundException)
            {
                // Deleted since the folder was listed: nothing to read.
                continue;
            }
            catch (Exception ex) when (ex is (IOException and not DirectoryNotFoundException) or UnauthorizedAccessException)
            {
                // Held open by another program, or without read permission: left as it is for a later start, the others
                // loaded (see LoadResult.Unreadable).
                result.Unreadable++;
                result.UnreadableError ??= ex.GetType().Name;
                continue;
            }

            if (segment is null)
            {
                continue;
            }

            if (segment.Pending == 0)
            {
                if (deferSpent && segment.Length <= RecordFormat.SegmentHeaderSize)
                {
                    // A header alone: nothing to send, nothing settled or damaged to remember.
                    result.Spent.Add(path);
                }
                else
                {
                    StorageFiles.TryDelete(path);
                }

                continue;
            }

            result.Segments.Add(segment);
        }

        return result;
    }

    /// <summary>Gets the highest segment number in <paramref name="directory"/>, or 0 when it holds no segment.</summary>
    public static long HighestId(string directory)
    {
        var segments = ListSegments(directory);
        return segments.Count > 0 ? segments[segments.Count - 1].Id : 0;
    }

    /// <summary>Gets whether the segment's header says a newer format; <see langword="false"/> if it cannot be read.</summary>
    internal static bool IsNewerFormat(string path)
    {
        try
        {
            var header = new byte[RecordFormat.SegmentHeaderSize];
            int read;
            using (var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
            {
                read = stream.Read(header, 0, header.Length);
            }

            return RecordFormat.ReadVersion(header.AsSpan(0, read)) > RecordFormat.FormatVersion;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static List<SettledRun> RunsOf(List<SettledRun> settled, long id, long start)
    {
        var runs = new List<SettledRun>();
        foreach (var run in settled)
        {
            if (run.SegmentId == id && run.Start >= start && run.End > run.Start)
            {
                runs.Add(run);
            }
        }

        runs.Sort((a, b) => a.Start.CompareTo(b.Start));
        return runs;
    }

    private static Segment? LoadSegment(long id, string path, long start, long maxFileBytes, LoadResult result, List<SettledRun> runs, bool deferSpent)
    {
        var length = new FileInfo(path).Length;
        if (length == 0)
        {
            // Emptied by a deletion that could not delete it (a read-only folder), or created on a full disk: no record.
            if (deferSpent)
            {
                result.Spent.Add(path);
            }
            else
            {
                StorageFiles.TryDelete(path);
            }

            return null;
        }

        if (length > maxFileBytes)
        {
            // Larger than any segment this version writes: not ours to trust, and too big to scan at start-up. Unless its
            // header says a newer format (which may write larger segments): that one is left for its writer, unread.
            result.Corrupt++;
            if (IsNewerFormat(path))
            {
                result.NewerVersionFiles++;
                return null;
            }

            StorageFiles.TryDelete(path);
            return null;
        }

        var data = File.ReadAllBytes(path);
        var version = RecordFormat.ReadVersion(data);
        if (version > RecordFormat.FormatVersion)
        {
            result.Corrupt++;
            result.NewerVersionFiles++;
            return null;
        }

        if (version < RecordFormat.OldestReadableVersion)
        {
            result.Corrupt++;
            StorageFiles.TryDelete(path);
            return null;
        }

        var offset = (int)Math.Min(Math.Max(start, RecordFormat.SegmentHeaderSize), data.Length);
        var segment = new Segment(id, path, offset, data.Length);
        var run = 0;
        long settledUntil = -1;
        var intact = version == RecordFormat.FormatVersion && data.Length >= RecordFormat.SegmentHeaderSize;
        while (offset < data.Length)
        {
            var found = RecordFormat.NextRecord(data, offset, data.Length, out var recordLength, out var acceptedMs, out var skipped);
            if (skipped)
            {
                result.Corrupt++;
                intact = false;
            }

            if (found >= data.Length)
            {
                break;
            }

            // A run counts only if its first record is where it says, with the same checksum, and the run ends on this file.
            while (run < runs.Count && runs[run].Start < found)
            {
                run++;
            }

            if (run < runs.Count && runs[run].Start == found && runs[run].End <= data.Length
                && RecordFormat.StoredChecksum(data, found) == runs[run].FirstChecksum)
            {
                var restored = runs[run];
                (segment.SettledRuns ??= []).Add(new SettledRun(restored.SegmentId, restored.Start, restored.End, restored.FirstChecksum, restored: true));
                settledUntil = Math.Max(settledUntil, restored.End);
                run++;
            }

            if (found < settledUntil)
            {
                offset = found + recordLength;
                continue;
            }

            segment.Pending++;
            segment.PendingCalls += StoredMessages.ReadCalls(data.AsSpan(found + RecordFormat.RecordHeaderSize, recordLength - RecordFormat.RecordHeaderSize));
            segment.NewestMs = Math.Max(segment.NewestMs, acceptedMs);
            offset = found + recordLength;
        }

        // Every byte in an intact record, up to the end: new records may follow (see SegmentLog.TryAppendToLoaded).
        segment.Appendable = intact && offset == data.Length;
        return segment;
    }

    internal static List<(long Id, string Path)> ListSegments(string directory)
    {
        var segments = new List<(long, string)>();
        foreach (var path in Directory.GetFiles(directory, FilePrefix + "*" + FileExtension))
        {
            if (TryParseId(Path.GetFileName(path), out var id))
            {
                segments.Add((id, path));
            }
        }

        segments.Sort((a, b) => a.Item1.CompareTo(b.Item1));
        return segments;
    }

    /// <summary>
    /// Gets the number of the segment file named <paramref name="fileName"/>; false for any other file, among them another
    /// spelling of a segment's number (<c>queue-1.seg</c>, a digit more): a copy under such a name would be read as a second
    /// segment of the same number, its records sent twice and out of order.
    /// </summary>
    internal static bool TryParseId(string fileName, out long id)
    {
        id = 0;
        if (fileName.Length <= FilePrefix.Length + FileExtension.Length
            || !fileName.StartsWith(FilePrefix, StringComparison.Ordinal)
            || !fileName.EndsWith(FileExtension, StringComparison.Ordinal))
        {
            return false;
        }

#if NET8_0_OR_GREATER
        var digits = fileName.AsSpan(FilePrefix.Length, fileName.Length - FilePrefix.Length - FileExtension.Length);
#else
        var digits = fileName.Substring(FilePrefix.Length, fileName.Length - FilePrefix.Length - FileExtension.Length);
#endif
        if (!long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out id) || id <= 0 || id > MaxSegmentId)
        {
            id = 0;
            return false;
        }

        // Only the name SegmentPath gives the number.
        return string.Equals(fileName, SegmentFileName(id), StringComparison.Ordinal);
    }

    internal sealed class LoadResult
    {
        public List<Segment> Segments { get; } = [];

        /// <summary>
        /// Gets the segment files found holding no record at all (a header alone, or emptied), left for the caller to delete
        /// when the load was asked to defer them; empty otherwise (they were deleted).
        /// </summary>
        public List<string> Spent { get; } = [];

        public long MaxId { get; set; }

        public int Corrupt { get; set; }

        public int NewerVersionFiles { get; set; }

        /// <summary>
        /// Gets or sets how many segment files could not be read. They are left for a later start, and the log that starts
        /// from this result must save no position: one past such a file would make a later start take it for settled.
        /// </summary>
        public int Unreadable { get; set; }

        /// <summary>Gets or sets the type of the first error an unreadable file gave.</summary>
        public string? UnreadableError { get; set; }
    }
}
