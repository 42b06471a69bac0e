using GrowlyticsSdk.Storage;

namespace GrowlyticsSdk.Tests.Storage;

/// <summary>
/// Segment files deleted under the log while it runs (the folder removed): what can still be read is read, the records
/// that cannot be read back are settled as lost instead of waited for, and the log goes on with a new segment. Unix only:
/// Windows keeps a file open without delete sharing (the folder's lock) from being deleted with its folder.
/// </summary>
public sealed class SegmentLogMissingFileTests : StorageTestBase
{
    [Fact]
    public void Read_FileOfTheSegmentBeingWrittenGoneBeforeItWasRead_SettlesItsRecordsAsLostAndTheNextAppendStartsANewSegment()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var records = new List<StoredRecord>();
        using var log = NewLog();
        log.Append(Records(5));
        File.Delete(SegmentFiles().Single());

        log.Read(100, 0, records, out _);

        records.Should().BeEmpty();
        (log.Pending, log.PendingCalls, log.LateDamage, log.LateDamageCalls).Should().Be((0L, 0L, 5, 5L), "the lost records are counted as damage found late");
        log.SegmentCount.Should().Be(0, "the segment whose file is gone is written to no more");

        log.Append(Records(3));
        log.Read(100, 0, records, out _);
        records.Should().HaveCount(3, "the next append starts a new segment, which is read");
    }

    [Fact]
    public void Read_LastSegmentsFileGoneWhileAnEarlierOnesRecordsAreOut_SettlesOnlyTheUnreadOnes()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var records = new List<StoredRecord>();

        // Segments of about 5 records: the first is read, then the folder goes with both files.
        using var log = NewLog(RecordFormat.SegmentHeaderSize + (5 * (RecordFormat.RecordHeaderSize + 3)));
        log.Append(Records(5));
        log.Read(5, 0, records, out _);
        log.Append(Records(4));
        foreach (var file in SegmentFiles())
        {
            File.Delete(file);
        }

        log.Read(100, 0, records, out _);

        records.Should().HaveCount(5, "nothing more can be read");
        (log.Pending, log.LateDamage).Should().Be((5L, 4), "the records being sent stay with their reader");
        foreach (var record in records)
        {
            log.Settle(record);
        }

        (log.Pending, log.Outstanding, log.SegmentCount).Should().Be((0L, 0, 0));
    }

    [Fact]
    public void Read_FileDeletedWhileItsSegmentIsRead_ReadsItToItsEndThroughTheOpenFile()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var records = new List<StoredRecord>();
        using var log = NewLog();
        log.Append(Records(5));
        log.Read(2, 0, records, out _);
        File.Delete(SegmentFiles().Single());
        log.Append(Records(3));

        log.Read(100, 0, records, out _);

        records.Select(r => r.AcceptedMs).Should().Equal(1_000L, 1_001L, 1_002L, 1_003L, 1_004L, 1_000L, 1_001L, 1_002L);
        log.LateDamage.Should().Be(0);
    }

    [Fact]
    public void PassOverMissingFiles_RecordsOutAndUnreadInAFileThatIsGone_SettlesThemAll()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var records = new List<StoredRecord>();
        using var log = NewLog();
        log.Append(Records(5));
        log.Read(2, 0, records, out _);
        File.Delete(SegmentFiles().Single());

        // At close delivery has ended: the two read for a request are settled by no reader, and are gone with the file.
        log.PassOverMissingFiles();

        (log.Pending, log.LateDamage).Should().Be((0L, 5), "none of the records is there for the next start");
        foreach (var record in records)
        {
            log.Settle(record);
        }

        (log.Pending, log.LateDamage).Should().Be((0L, 5), "a request settling one later changes nothing");
    }

    [Fact]
    public void PassOverMissingFiles_FilesThere_SettlesNothing()
    {
        using var log = NewLog();
        log.Append(Records(5));

        log.PassOverMissingFiles();

        (log.Pending, log.LateDamage).Should().Be((5L, 0));
    }

    [Fact]
    public void ForgetFolder_AFileOfTheSameNameInTheFolderNow_IsNeitherReadNorDeleted()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var records = new List<StoredRecord>();
        using var log = NewLog();
        log.Append(Records(5));
        var path = SegmentFiles().Single();
        File.Delete(path);

        // The folder made again: another client's segment has the same name.
        File.WriteAllBytes(path, [1, 2, 3]);
        log.ForgetFolder();
        log.Read(100, 0, records, out _);

        records.Should().BeEmpty("the file there is not this log's");
        (log.Pending, log.LateDamage).Should().Be((0L, 5), "its own records went with the old folder");
        log.SaveAck();
        File.ReadAllBytes(path).Should().Equal([1, 2, 3]);
    }

    [Fact]
    public void Read_FolderReplacedBeforeTheWriterSawIt_AnotherLogsFileOfTheSameNameIsNeitherReadNorDeleted()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var records = new List<StoredRecord>();
        var replaced = false;
        using var log = NewLog();
        log.FolderReplaced = () => replaced;
        log.Append(Records(5));

        // The folder removed and made again by another client, whose first segment has the same name and 3 records.
        System.IO.Directory.Delete(Directory, recursive: true);
        System.IO.Directory.CreateDirectory(Directory);
        using (var other = new SegmentLog(Directory, 64 * 1024, [], 0))
        {
            other.Append(Records(3));
        }

        replaced = true;
        log.Read(100, 0, records, out _);

        records.Should().BeEmpty("the file there is the other client's");
        (log.Pending, log.LateDamage).Should().Be((0L, 5), "this log's records went with the old folder");
        log.SaveAck();
        SegmentLoader.Load(Directory, long.MaxValue).Segments.Sum(s => s.Pending).Should().Be(3, "the other client's file is left as it was");
    }

    [Fact]
    public void DropAllLeavingFiles_AfterADeletionsMark_EndsTheDeletion_PositionsAreSavedAgain()
    {
        var records = new List<StoredRecord>();
        using var log = NewLog();
        log.Append(Records(5));
        log.TryMarkDeleting();
        var mark = AckFile.Read(Directory, out _);

        log.DropAllLeavingFiles(records).Should().Be(5);
        records.Clear();
        log.Append(Records(3));
        log.Read(100, 0, records, out _);

        // All but the last: a segment whose records are all settled is deleted, leaving no position to save.
        foreach (var record in records.Take(2))
        {
            log.Settle(record);
        }

        log.SaveAck();
        AckFile.Read(Directory, out _).Should().NotBe(mark, "the deletion has ended: the position moves on with what is settled");
    }

    [Fact]
    public void TakenAgain_WithAnOptOutsPositionStillToSave_WritesNoPositionIntoTheFolderMadeAgain()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        System.IO.Directory.CreateDirectory(Directory);
        Exception? fault = null;

        // A run that could not read its folder at start (it saves no position), and an opt-out whose position past every
        // segment the disk does not take then (kept to be saved later).
        using var log = new SegmentLog(Directory, 64 * 1024, [], 0, () => fault, savesPosition: false);
        log.Append(Records(5));
        fault = new IOException("full");
        log.PassEverySegment();
        fault = null;

        // The folder is removed; another instance makes it again, stores 3 records there and ends; this log takes it again.
        System.IO.Directory.Delete(Directory, recursive: true);
        System.IO.Directory.CreateDirectory(Directory);
        using (var other = new SegmentLog(Directory, 64 * 1024, [], 0))
        {
            other.Append(Records(3));
        }

        var othersFiles = SegmentFiles();
        log.ForgetFolder();
        log.TakenAgain(SegmentLoader.HighestId(Directory));
        log.SaveAck();

        SegmentFiles().Should().Equal(othersFiles);
        SegmentLoader.Load(Directory, long.MaxValue).Segments.Sum(s => s.Pending).Should().Be(3, "the next start reads the other instance's records");
        File.Exists(Path.Combine(Directory, AckFile.FileName)).Should().BeFalse("the pass described the old folder");
        log.SavesPosition.Should().BeFalse();
    }

    private SegmentLog NewLog(int segmentBytes = 64 * 1024)
    {
        System.IO.Directory.CreateDirectory(Directory);
        return new SegmentLog(Directory, segmentBytes, [], 0);
    }

    private static List<(byte[] Payload, long AcceptedMs, int Calls)> Records(int count) =>
        Enumerable.Range(0, count).Select(i => (new byte[] { (byte)'{', (byte)('0' + (i % 10)), (byte)'}' }, 1_000L + i, 1)).ToList();
}
