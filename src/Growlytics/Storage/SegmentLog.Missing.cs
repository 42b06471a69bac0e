namespace GrowlyticsSdk.Storage;

// Segment files deleted under the log (the folder removed while the client runs): the records not read from them cannot
// be read back, so they are settled as lost (DropReason.Corrupted) rather than waited for, or said to be kept.
internal sealed partial class SegmentLog
{
    /// <summary>
    /// Settles as lost the records not read yet of the last segment, its file gone: an earlier segment's are settled once
    /// the reader moves on to the next, but the last has none. Those read from it before stay with their readers. If it is
    /// the segment being written it is written to no more: the next append starts a new one, and fails over to memory
    /// when the folder is gone too.
    /// </summary>
    private void PassOverMissing(Segment segment)
    {
        CountUnreadAsLost(segment);
        _readOffset = segment.Length;
        if (ReferenceEquals(segment, _activeSegment))
        {
            SealActive();
        }
    }

    /// <summary>
    /// The folder was removed while the client ran (its <c>queue.lock</c> is not this client's any more): every segment
    /// tracked so far went with it (<see cref="Segment.Gone"/>), so a file of the same name in a folder made again at
    /// that path (another client's) is neither read nor deleted, and the segment being written is written to no more.
    /// Records not read yet are settled as lost when the reader reaches them, as for any segment whose file is gone;
    /// those read before are settled by their readers.
    /// </summary>
    public void ForgetFolder()
    {
        MarkAllGone();
        SealActive();
    }

    /// <summary>
    /// Gets or sets the test of whether another client made the folder again at its path (see
    /// <see cref="StorageFolder.Lock"/>), asked before each read and each segment file deleted: a file of the same name
    /// there is that client's, whatever the writer has seen so far.
    /// </summary>
    public Func<bool>? FolderReplaced { get; set; }

    /// <summary>
    /// Gets a value indicating whether the log forgot its segments for another client's folder (<see cref="ForgetFolder"/>)
    /// and has not been taken again since (<see cref="TakenAgain"/>).
    /// </summary>
    public bool FolderForgotten { get; private set; }

    /// <summary>
    /// Before a read or a segment file deleted: if another client made the folder again, every segment tracked so far is
    /// gone (as <see cref="ForgetFolder"/>, but the segment being written is left to the writer, which seals it before it
    /// writes; this may run inside a walk of the segments).
    /// </summary>
    private void ForgetFolderIfReplaced()
    {
        if (!FolderForgotten && FolderReplaced?.Invoke() == true)
        {
            MarkAllGone();
        }
    }

    private void MarkAllGone()
    {
        FolderForgotten = true;
        foreach (var segment in _segments)
        {
            segment.Gone = true;
        }
    }

    /// <summary>
    /// The folder's lock file was gone (the folder removed, or the file deleted) and this client holds the folder at that
    /// path again: the segment being written, if its file went with the folder, is written to no more (the next append
    /// starts a segment in the folder). Its records not read yet are settled as lost when the reader reaches them.
    /// </summary>
    public void SealActiveIfMissing()
    {
        if (_activeSegment is { } segment && StorageFiles.IsMissing(segment.Path))
        {
            SealActive();
        }
    }

    /// <summary>
    /// The folder made again at its path is this client's again (see <see cref="ForgetFolder"/>). What it holds besides
    /// the segments this log starts from here on (another client's, left while it held the folder) was never loaded: from
    /// here on no position is saved, so the next start reads every segment in it (as after a run that could not read its
    /// folder: the delivered messages of this run's last segment are sent again), and new segments are numbered past every
    /// file and saved position in it.
    /// </summary>
    /// <param name="highestInUse">A number past every segment and saved position in the folder (see the writer's
    /// <c>HighestIdInUse</c>): new segments are numbered after it.</param>
    public void TakenAgain(long highestInUse)
    {
        // A position an opt-out or a deletion still had to save described the old folder.
        _pass = null;
        _unreadBelow = null;
        _floor = 0;
        FolderForgotten = false;
        SavesPosition = false;
        _ackDirty = false;
        _settledDirty = false;
        _nextId = Math.Max(_nextId, highestInUse + 1);
    }

    /// <summary>
    /// Settles as lost every record not settled yet of every segment whose file is gone, those read for requests included:
    /// at close delivery has ended, no reader settles them any more, and they are not there for the next start.
    /// </summary>
    public void PassOverMissingFiles()
    {
        List<StoredRecord>? outstanding = null;
        foreach (var segment in _segments)
        {
            if (segment.Pending > 0 && (segment.Gone || StorageFiles.IsMissing(segment.Path)))
            {
                outstanding ??= [];
                outstanding.Clear();
                LateDamageCalls += SettleOutstandingIn(segment, outstanding);
                LateDamage += outstanding.Count;
                CountUnreadAsLost(segment);
            }
        }
    }

    private void CountUnreadAsLost(Segment segment)
    {
        var records = segment.Pending;
        var calls = segment.PendingCalls;
        for (var node = _outstanding.First; node is not null; node = node.Next)
        {
            if (ReferenceEquals(node.Value.Segment, segment) && !node.Value.Settled)
            {
                records--;
                calls -= node.Value.Calls;
            }
        }

        // Counted as damage found late, as the records of a segment removed before they could be read back (see Remove).
        LateDamage += records;
        LateDamageCalls += calls;
        segment.Pending -= records;
        segment.PendingCalls -= calls;
        Pending -= records;
        PendingCalls -= calls;
    }
}
