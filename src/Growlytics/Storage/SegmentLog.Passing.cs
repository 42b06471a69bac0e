namespace GrowlyticsSdk.Storage;

// Positions past every segment in the folder (a deletion, an opt-out on a log that could not read it) and the folder's files
// deleted.
internal sealed partial class SegmentLog
{
    /// <summary>
    /// Saves a position past every segment in the folder (those this log does not track included), and no other until
    /// <see cref="DeleteAll"/> ends: a deletion asked for is then carried out at the next start if the process ends
    /// before it (the loader deletes every segment before the position). Segments started from here on are numbered
    /// after it. Does nothing if the position cannot be written (the deletion goes on without it).
    /// </summary>
    public void TryMarkDeleting()
    {
        // If it cannot be written, the files are deleted all the same; only a process killed meanwhile would leave some.
        if (!_deleting && TrySavePositionPastEverySegment(out _))
        {
            // Past any position an opt-out still waits to save (see PassEverySegment), which is no longer needed.
            _deleting = true;
            _pass = null;
        }
    }

    /// <summary>
    /// For a log that does not save its position (the folder could not be read at start), when every record stored so far
    /// is being dropped (an opt-out): seals the segment being written, so later records go to segments numbered after a
    /// position past every segment in the folder, those it could not read included (the opt-out drops them as well), and
    /// saves that position, so none of them is read at the next start, even after an opt-in. If the disk does not take it
    /// now, <see cref="SaveAck"/> saves it before any other; <see cref="SaveAck"/> also deletes the files this log could
    /// not read (a full disk still lets them go). From then on positions are saved, none below it while a segment numbered
    /// before it is tracked. Does nothing for a log that saves its position (its records are settled as they are dropped).
    /// Never throws.
    /// </summary>
    public void PassEverySegment()
    {
        if (SavesPosition || _deleting || _pass is not null)
        {
            return;
        }

        SealActive();
        StartPass();
        try
        {
            SavePass();
        }
#pragma warning disable CA1031 // Saved by a later SaveAck, which reports the failure.
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }

    /// <summary>
    /// Asks for a position past every segment in the folder (<see cref="SavePass"/>) and for the files this log does not
    /// track below it to be deleted (<see cref="DeleteUnreadBelowPass"/>); segments started from here on are numbered after it.
    /// </summary>
    private void StartPass()
    {
        long past;
        try
        {
            past = PastEverySegment();
        }
#pragma warning disable CA1031 // The folder cannot be listed: this log's own numbers are past what it held at start.
        catch (Exception)
#pragma warning restore CA1031
        {
            past = _nextId;
        }

        _nextId = past + 1;
        _pass = past;
        _unreadBelow = past;
    }

    /// <summary>Saves the position <see cref="PassEverySegment"/> asked for, if any; throws if the disk does not take it.</summary>
    private void SavePass()
    {
        if (_pass is not { } past)
        {
            return;
        }

        ThrowIfFaulted();
        AckFile.Write(_directory, past, RecordFormat.SegmentHeaderSize);
        _pass = null;
        _floor = past;
        SavesPosition = true;
    }

    /// <summary>
    /// Deletes (or empties) the segment files below the position <see cref="PassEverySegment"/> asked for that this log
    /// does not track: those it could not read at start. Needs no write, so a full disk does not keep them for a later
    /// start; one of a newer format is left for its writer, as the loader leaves it. Tried again while the folder cannot be
    /// listed; a file that can be neither deleted nor emptied is left to the position.
    /// </summary>
    private void DeleteUnreadBelowPass()
    {
        if (_unreadBelow is not { } below)
        {
            return;
        }

        List<(long Id, string Path)> files;
        try
        {
            files = SegmentLoader.ListSegments(_directory);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return;
        }

        _unreadBelow = null;
        foreach (var (id, path) in files)
        {
            if (id < below && !_segments.Exists(segment => segment.Id == id) && !SegmentLoader.IsNewerFormat(path))
            {
                StorageFiles.DeleteOrEmpty(path, out _);
            }
        }
    }

    /// <summary>A segment number past every segment in the folder and this log's own; throws if the folder cannot be listed.</summary>
    private long PastEverySegment() => Math.Max(_nextId, SegmentLoader.HighestId(_directory) + 1);

    /// <summary>
    /// Saves a position past every segment in the folder (those this log does not track included), and numbers the
    /// segments started from here on after it; returns whether it could.
    /// </summary>
    private bool TrySavePositionPastEverySegment(out long past)
    {
        try
        {
            ThrowIfFaulted();
            past = PastEverySegment();
            AckFile.Write(_directory, past, RecordFormat.SegmentHeaderSize);
            _nextId = past + 1;
            return true;
        }
#pragma warning disable CA1031 // Whatever failed, the caller goes on without that position.
        catch (Exception)
#pragma warning restore CA1031
        {
            past = 0;
            return false;
        }
    }

    /// <summary>
    /// Deletes the stored queue's files in <paramref name="directory"/>; returns how many could not be deleted. If a segment
    /// can be neither deleted nor emptied (held open by another program), <c>queue.ack</c> is kept: whatever position it
    /// holds passes over at least as much at the next start as none would (a position past every segment, see
    /// <see cref="TryMarkDeleting"/> and <see cref="PassEverySegment"/>, makes it delete that segment unread).
    /// </summary>
    /// <param name="directory">The storage folder.</param>
    /// <param name="error">The type of the first error, or <see langword="null"/>.</param>
    public static int DeleteFiles(string directory, out string? error)
    {
        error = null;
        string[] segments;
        string[] positions;
        try
        {
            segments = Directory.GetFiles(directory, SegmentLoader.FilePrefix + "*" + SegmentLoader.FileExtension);
            positions = [
                .. Directory.GetFiles(directory, AckFile.FileName + "*"),
                .. Directory.GetFiles(directory, SettledFile.FileName + "*"),
            ];
        }
        catch (DirectoryNotFoundException)
        {
            return 0;
        }

        return DeleteFiles(segments, positions, out error);
    }

    /// <summary>
    /// Deletes <paramref name="segments"/>, then <paramref name="positions"/> (<c>queue.ack</c> kept if a segment stays);
    /// returns how many could not be deleted.
    /// </summary>
    internal static int DeleteFiles(string[] segments, string[] positions, out string? error)
    {
        var failed = StorageFiles.DeleteAll(segments, out error);
        if (failed > 0)
        {
            positions = Array.FindAll(positions, path => !string.Equals(Path.GetFileName(path), AckFile.FileName, StringComparison.Ordinal));
        }

        failed += StorageFiles.DeleteAll(positions, out var positionError);
        error ??= positionError;
        return failed;
    }
}
