using GrowlyticsSdk.Storage;

namespace GrowlyticsSdk.Tests.Storage;

public sealed class SegmentLogTests : StorageTestBase
{
    [Fact]
    public void Settle_OutOfOrder_AcknowledgesOnlyPastTheOldestUnsettled()
    {
        System.IO.Directory.CreateDirectory(Directory);
        var records = new List<StoredRecord>();
        using (var log = new SegmentLog(Directory, 64 * 1024, [], 0))
        {
            log.Append(Records(10));
            log.Read(100, 0, records, out _);
            records.Should().HaveCount(10);

            foreach (var record in records.Skip(1))
            {
                log.Settle(record);
            }

            log.Pending.Should().Be(1);
            log.Outstanding.Should().Be(10, "the first record holds the acknowledged position back");
            log.SaveAck();
        }

        // The position stays before the first record; the nine settled after it are saved as a run (queue.settled), so a
        // restart sends only the unsettled one again.
        SegmentLoader.Load(Directory, long.MaxValue).Segments.Sum(s => s.Pending).Should().Be(1);
    }

    [Fact]
    public void Settle_TheOldestLast_AcknowledgesEverything()
    {
        System.IO.Directory.CreateDirectory(Directory);
        var records = new List<StoredRecord>();
        using (var log = new SegmentLog(Directory, 64 * 1024, [], 0))
        {
            log.Append(Records(10));
            log.Read(100, 0, records, out _);
            foreach (var record in records.Skip(1))
            {
                log.Settle(record);
            }

            log.Settle(records[0]);
            log.Outstanding.Should().Be(0);
            log.Pending.Should().Be(0);
            log.SaveAck();
        }

        SegmentLoader.Load(Directory, long.MaxValue).Segments.Sum(s => s.Pending).Should().Be(0);
    }

    [Fact]
    public void Restored_ThenWrittenBeforeTheFirstRead_ReadsTheRestoredRecordsFirst()
    {
        // A restart: the writer appends new records (rolling a new segment) before delivery first reads. Reading must
        // start at the oldest restored record, not at the new segment; settling the new records must not pass the
        // restored ones by (they were dropped as damaged).
        System.IO.Directory.CreateDirectory(Directory);
        using (var first = new SegmentLog(Directory, 64 * 1024, [], 0))
        {
            first.Append(Records(5));
            first.SaveAck();
        }

        var loaded = SegmentLoader.Load(Directory, long.MaxValue);
        var records = new List<StoredRecord>();
        using (var log = new SegmentLog(Directory, 64 * 1024, loaded.Segments, loaded.MaxId))
        {
            log.Append(Records(3));
            log.Read(100, 0, records, out _);
            records.Select(r => r.AcceptedMs).Should().Equal(1_000L, 1_001L, 1_002L, 1_003L, 1_004L, 1_000L, 1_001L, 1_002L);

            foreach (var record in records.Skip(5))
            {
                log.Settle(record);
            }

            log.Pending.Should().Be(5);
            log.LateDamage.Should().Be(0);
            log.SaveAck();
        }

        SegmentLoader.Load(Directory, long.MaxValue).Segments.Sum(s => s.Pending).Should().Be(5, "the restored records hold the position back, and the three settled after them are saved as settled");
    }

    [Fact]
    public void DropOldest_WhileRecordsAreOut_SettlesThemForTheirReader()
    {
        System.IO.Directory.CreateDirectory(Directory);
        var records = new List<StoredRecord>();
        using var log = new SegmentLog(Directory, 60, [], 0);
        log.Append(Records(6));
        log.SegmentCount.Should().BeGreaterThan(1);
        log.Read(2, 0, records, out _);

        var settled = new List<StoredRecord>();
        var dropped = log.DropOldest(settled);

        settled.Should().NotBeEmpty().And.OnlyContain(r => r.Settled);
        dropped.Should().BeGreaterThanOrEqualTo(settled.Count);
        log.Pending.Should().Be(6 - dropped);
        foreach (var record in settled)
        {
            log.Settle(record);
        }

        log.Pending.Should().Be(6 - dropped, "settling a record the limit already dropped changes nothing");
    }

    [Fact]
    public void Read_RecordOlderThanTheCutoff_SettledAsExpired()
    {
        System.IO.Directory.CreateDirectory(Directory);
        var records = new List<StoredRecord>();
        using var log = new SegmentLog(Directory, 64 * 1024, [], 0);
        log.Append([([1, 2, 3], 1_000, 1), ([4, 5, 6], 5_000, 1)]);

        log.Read(10, expiredBeforeMs: 2_000, records, out var expired);

        expired.Should().Be(1);
        records.Should().ContainSingle().Which.AcceptedMs.Should().Be(5_000);
        log.Pending.Should().Be(1);
    }

    [Fact]
    public void WriteFails_AfterEveryRecordOfTheSegmentWasSettled_TheSegmentIsDeletedAtOnce()
    {
        System.IO.Directory.CreateDirectory(Directory);
        var diskFull = false;
        var records = new List<StoredRecord>();
        using var log = new SegmentLog(Directory, 64 * 1024, [], 0, () => diskFull ? new IOException("No space left on device") : null);
        log.Append(Records(3));
        log.Read(10, 0, records, out _);
        records.ForEach(log.Settle);

        // The disk fills: nothing in the segment is left to settle, so nothing later would delete it.
        diskFull = true;
        var append = () => log.Append(Records(1));
        append.Should().Throw<IOException>();

        SegmentFiles().Should().BeEmpty("a segment whose records are all settled gives its space back when writing to it fails");
        log.SegmentCount.Should().Be(0);

        diskFull = false;
        log.Append(Records(2));
        records.Clear();
        log.Read(10, 0, records, out _);
        records.Should().HaveCount(2, "the next append starts a new segment");
    }

    [Fact]
    public void NextSegmentCannotBeCreated_AfterEveryRecordOfTheFullOneWasSettled_TheFullOneIsDeleted()
    {
        System.IO.Directory.CreateDirectory(Directory);
        var diskFull = false;
        var records = new List<StoredRecord>();

        // One record fills a segment: the next append must create a new one.
        using var log = new SegmentLog(Directory, 1, [], 0, () => diskFull ? new IOException("No space left on device") : null);
        log.Append(Records(1));
        log.Read(10, 0, records, out _);
        log.Settle(records.Single());
        SegmentFiles().Should().BeEmpty("the segment being written, all settled, is deleted at once");

        diskFull = true;
        var append = () => log.Append(Records(1));
        append.Should().Throw<IOException>();

        SegmentFiles().Should().BeEmpty("the full segment, all settled, is written to no more and gives its space back");
        log.Pending.Should().Be(0);
    }

    [Fact]
    public void SegmentBeingWritten_AllSettled_IsDeletedAtOnce_NotBefore_AndTheNextAppendIsReadOnce()
    {
        System.IO.Directory.CreateDirectory(Directory);
        var records = new List<StoredRecord>();
        using var log = new SegmentLog(Directory, 64 * 1024, [], 0);
        log.Append(Records(3));
        log.Read(10, 0, records, out _);
        log.Settle(records[2]);
        log.Settle(records[1]);
        SegmentFiles().Should().ContainSingle("the first record is not settled");
        log.Append(Records(1));
        log.Settle(records[0]);
        SegmentFiles().Should().ContainSingle("the record appended meanwhile is not read yet");

        records.Clear();
        log.Read(10, 0, records, out _);
        records.Should().ContainSingle("only the record appended since");
        log.Settle(records[0]);
        SegmentFiles().Should().BeEmpty("every record of the segment being written is settled");
        log.SaveAck();

        log.Append(Records(2));
        SegmentFiles().Should().ContainSingle("the next append starts a new segment");
        records.Clear();
        log.Read(10, 0, records, out _);
        records.Should().HaveCount(2);
        log.Pending.Should().Be(2);
        log.SaveAck();
        SegmentLoader.Load(Directory, long.MaxValue).Segments.Sum(s => s.Pending).Should().Be(2, "a restart reads the new segment from its start");
    }

    private static List<(byte[] Payload, long AcceptedMs, int Calls)> Records(int count) =>
        Enumerable.Range(0, count).Select(i => (new byte[] { (byte)'{', (byte)('0' + (i % 10)), (byte)'}' }, 1_000L + i, 1)).ToList();
}
