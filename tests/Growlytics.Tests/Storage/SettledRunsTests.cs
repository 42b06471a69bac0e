using System.Buffers.Binary;
using GrowlyticsSdk.Storage;

namespace GrowlyticsSdk.Tests.Storage;

/// <summary>
/// Records settled after the acknowledged position (requests settle out of order) are saved as runs in
/// <c>queue.settled</c>: a restart sends only what was not settled, and a run that does not match the file is ignored
/// (its records are sent again, never lost).
/// </summary>
public sealed class SettledRunsTests : StorageTestBase
{
    private string SettledPath => Path.Combine(Directory, SettledFile.FileName);

    [Fact]
    public void Restart_AfterOutOfOrderSettling_ReadsOnlyTheUnsettledRecords()
    {
        WriteAndSettle(10, unsettled: [0, 5]);

        using var log = Reload(out var loaded);
        loaded.Segments.Sum(s => s.Pending).Should().Be(2);
        log.Pending.Should().Be(2);
        ReadAll(log).Select(r => r.AcceptedMs).Should().Equal(1_000L, 1_005L);
    }

    [Fact]
    public void SecondRestart_WithoutReading_KeepsThePreviousRunsSettled()
    {
        WriteAndSettle(10, unsettled: [0]);

        using (var log = Reload(out _))
        {
            // Nothing read or settled in this run: the file is rewritten from the runs the start found.
            File.Delete(SettledPath);
            log.SaveAck();
            File.Exists(SettledPath).Should().BeTrue();
        }

        using var again = Reload(out var loaded);
        loaded.Segments.Sum(s => s.Pending).Should().Be(1);
        ReadAll(again).Select(r => r.AcceptedMs).Should().Equal(1_000L);
    }

    [Fact]
    public void AfterRestart_SettlingTheLastUnsettledRecord_AcknowledgesEverythingAndRemovesTheFile()
    {
        WriteAndSettle(10, unsettled: [0]);

        using (var log = Reload(out _))
        {
            var records = ReadAll(log);
            records.Should().ContainSingle();
            log.Settle(records[0]);
            log.Pending.Should().Be(0);
            log.Outstanding.Should().Be(0);
            log.SaveAck();
        }

        File.Exists(SettledPath).Should().BeFalse("nothing is settled after the position any more");
        SegmentLoader.Load(Directory, long.MaxValue).Segments.Sum(s => s.Pending).Should().Be(0);
    }

    [Fact]
    public void AfterRestart_NewRecordsSettledNextToARestoredRun_AreSavedWithIt()
    {
        WriteAndSettle(10, unsettled: [0]);

        using (var log = Reload(out _))
        {
            log.Append(Records(4, firstMs: 2_000));
            var records = ReadAll(log);
            records.Select(r => r.AcceptedMs).Should().Equal(1_000L, 2_000L, 2_001L, 2_002L, 2_003L);
            foreach (var record in records.Skip(1).Take(3))
            {
                log.Settle(record);
            }

            log.SaveAck();
        }

        using var again = Reload(out _);
        ReadAll(again).Select(r => r.AcceptedMs).Should().Equal(1_000L, 2_003L);
    }

    [Fact]
    public void RunWhoseFirstRecordDoesNotMatch_IsIgnored_ItsRecordsAreReadAgain()
    {
        WriteAndSettle(10, unsettled: [0]);
        var bytes = File.ReadAllBytes(SettledPath);

        // One bit of the first record's checksum changed, and the file's own checksum made right again: a stale file.
        bytes[12 + 24] ^= 1;
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(bytes.Length - 4), System.IO.Hashing.Crc32.HashToUInt32(bytes.AsSpan(0, bytes.Length - 4)));
        File.WriteAllBytes(SettledPath, bytes);

        using var log = Reload(out var loaded);
        loaded.Segments.Sum(s => s.Pending).Should().Be(10);
        ReadAll(log).Should().HaveCount(10);
    }

    [Fact]
    public void DamagedFile_IsIgnored_ItsRecordsAreReadAgain()
    {
        WriteAndSettle(10, unsettled: [0]);
        var bytes = File.ReadAllBytes(SettledPath);
        bytes[20] ^= 0x40;
        File.WriteAllBytes(SettledPath, bytes);

        SegmentLoader.Load(Directory, long.MaxValue).Segments.Sum(s => s.Pending).Should().Be(10);
    }

    [Fact]
    public void WithoutAnAcknowledgedPosition_TheFileIsIgnored()
    {
        WriteAndSettle(10, unsettled: [0]);
        File.Delete(Path.Combine(Directory, AckFile.FileName));

        SegmentLoader.Load(Directory, long.MaxValue).Segments.Sum(s => s.Pending).Should().Be(10);
    }

    [Fact]
    public void MoreRunsThanTheFileKeeps_TheEarliestAreKept_WhatIsSentAgainComesAfterEveryRecordKept()
    {
        // 300 unsettled records, every other one up to 598: 299 settled runs of one record, then 599-649, a run of 51.
        var unsettled = Enumerable.Range(0, 300).Select(i => i * 2).ToArray();
        WriteAndSettle(650, unsettled);
        new FileInfo(SettledPath).Length.Should().BeLessThanOrEqualTo(4 * 1024);

        using var log = Reload(out _);
        var read = ReadAll(log).Select(r => r.AcceptedMs).ToList();
        read.Should().Contain(unsettled.Select(i => 1_000L + i), "a record that was not settled is never passed over");

        // The first 128 runs (1, 3, ..., 255) are kept; every settled record after them is sent again, the long run too:
        // a user's record sent again is never older than one of theirs kept settled (the longest runs kept, record 1's
        // user could get it again after their record 600, and keep its value).
        var kept = Enumerable.Range(0, SettledFile.MaxRuns).Select(k => 1_000L + (2 * k) + 1).ToList();
        var sentAgain = read.Except(unsettled.Select(i => 1_000L + i)).ToList();
        read.Should().NotContain(kept);
        sentAgain.Should().Equal(
            Enumerable.Range(SettledFile.MaxRuns, 299 - SettledFile.MaxRuns).Select(k => 1_000L + (2 * k) + 1)
                .Concat(Enumerable.Range(599, 51).Select(i => 1_000L + i)));
        sentAgain.Min().Should().BeGreaterThan(kept.Max());
    }

    [Fact]
    public void MoreRunsThanTheFileKeeps_ARunNextToARestoredOne_IsNotKeptWithItAheadOfEarlierRuns()
    {
        // A first run settles only records 300-309 of 400: a restored run at the next start.
        WriteAndSettle(400, unsettled: Enumerable.Range(0, 400).Where(i => i is < 300 or > 309).ToArray());

        using (var log = Reload(out _))
        {
            // Every odd record up to 299: 150 runs of one, the last one touching the restored run.
            foreach (var record in ReadAll(log).Where(r => r.AcceptedMs < 1_300 && (r.AcceptedMs - 1_000) % 2 == 1))
            {
                log.Settle(record);
            }

            log.SaveAck();
        }

        using var again = Reload(out _);
        var read = ReadAll(again).Select(r => r.AcceptedMs).ToList();
        read.Should().NotContain(Enumerable.Range(300, 10).Select(i => 1_000L + i), "the restored run is kept");

        // The restored run and the 127 earliest new runs (1, 3, ..., 253) are kept; 255-299 are sent again, 299 too (joined
        // to the restored run it would be kept while 255-297 are sent again).
        read.Where(ms => ms < 1_300 && (ms - 1_000) % 2 == 1).Should().Equal(
            Enumerable.Range(SettledFile.MaxRuns - 1, 150 - (SettledFile.MaxRuns - 1)).Select(k => 1_000L + (2 * k) + 1));
    }

    [Fact]
    public void DeleteAll_RemovesTheFile()
    {
        WriteAndSettle(10, unsettled: [0]);
        using var log = Reload(out _);
        log.DeleteAll([], out var notDeleted, out _);
        notDeleted.Should().Be(0);
        File.Exists(SettledPath).Should().BeFalse();
    }

    [Fact]
    public void SegmentsSettledBehindAnUnsettledRecord_AreDeleted_TheOldestAndTheActiveStay()
    {
        System.IO.Directory.CreateDirectory(Directory);
        var names = new List<string>();
        using (var log = new SegmentLog(Directory, 8 + (5 * 21), [], 0))
        {
            // Five 21-byte records a segment: 0-4, 5-9, 10-14, 15-19 (the active one).
            log.Append(Records(20));
            log.SegmentCount.Should().Be(4);
            names.AddRange(SegmentFiles());
            var records = ReadAll(log);
            foreach (var record in records.Skip(1))
            {
                log.Settle(record);
            }

            log.Pending.Should().Be(1);
            log.SaveAck();

            SegmentFiles().Should().Equal(names[0], names[3]);
            log.TotalBytes.Should().Be(2 * (8 + (5 * 21)));
            log.Pending.Should().Be(1);
            log.LateDamage.Should().Be(0);

            log.Append(Records(3, firstMs: 2_000));
            ReadAll(log).Select(r => r.AcceptedMs).Should().Equal(2_000L, 2_001L, 2_002L);
        }

        using var again = Reload(out var loaded);
        loaded.Segments.Sum(s => s.Pending).Should().Be(4, "the unsettled record and the three read but not settled");
        ReadAll(again).Select(r => r.AcceptedMs).Should().Equal(1_000L, 2_000L, 2_001L, 2_002L);
    }

    [Fact]
    public void SegmentsAllInRestoredRuns_DeletedAtTheStart_TheirNumbersAreNotGivenAgain()
    {
        // Three segments of five records; all but the first record settled: runs in segments 1, 2 and 3.
        System.IO.Directory.CreateDirectory(Directory);
        using (var log = new SegmentLog(Directory, 8 + (5 * 21), [], 0))
        {
            log.Append(Records(15));
            var records = ReadAll(log);
            foreach (var record in records.Skip(1))
            {
                log.Settle(record);
            }

            log.SaveAck();
        }

        // A start deletes segments 2 and 3 (nothing in them to send) and ends before saving anything; the next start must
        // not number a new segment 2 or 3, whose first record the old runs would be checked against.
        SegmentLoader.Load(Directory, long.MaxValue);
        SegmentFiles().Should().HaveCount(1);
        var loaded = SegmentLoader.Load(Directory, long.MaxValue);
        loaded.MaxId.Should().BeGreaterThanOrEqualTo(3);

        using (var log = new SegmentLog(Directory, 8 + (5 * 21), loaded.Segments, loaded.MaxId))
        {
            log.Append(Records(5));
        }

        SegmentLoader.Load(Directory, long.MaxValue).Segments.Sum(s => s.Pending).Should().Be(6);
    }

    [Fact]
    public void SavingTheRunsFails_AfterThePositionWasSaved_TheNextSaveWritesThem()
    {
        System.IO.Directory.CreateDirectory(Directory);
        var checks = 0;
        var failAt = -1;
        using (var log = new SegmentLog(Directory, 64 * 1024, [], 0, () => ++checks == failAt ? new IOException("No space left on device") : null))
        {
            log.Append(Records(10));
            var records = ReadAll(log);
            log.Settle(records[0]);
            foreach (var record in records.Skip(2))
            {
                log.Settle(record);
            }

            // The next check is the position's, the one after it the runs'.
            failAt = checks + 2;
            FluentActions.Invoking(log.SaveAck).Should().Throw<IOException>();
            File.Exists(SettledPath).Should().BeFalse();
            AckFile.Read(Directory, out _).Should().NotBeNull();

            log.SaveAck();
            File.Exists(SettledPath).Should().BeTrue();
        }

        using var again = Reload(out _);
        ReadAll(again).Select(r => r.AcceptedMs).Should().Equal(1_001L);
    }

    [Fact]
    public void MoreRunsThanTheFileKeeps_AfterARestart_TheRestoredRunsAreKeptBeforeLongerNewOnes()
    {
        // A first run leaves record 1 (one record, the shortest run) settled between unsettled 0 and 2.
        WriteAndSettle(10, unsettled: [0, 2]);

        using (var log = Reload(out _))
        {
            // 450 new records, two of every three settled: 150 runs of two records, each longer than the restored one.
            log.Append(Records(450, firstMs: 5_000));
            var records = ReadAll(log);
            records.Should().HaveCount(452);
            for (var i = 2; i < records.Count; i++)
            {
                if ((i - 2) % 3 != 0)
                {
                    log.Settle(records[i]);
                }
            }

            log.SaveAck();
        }

        using var again = Reload(out _);
        var read = ReadAll(again).Select(r => r.AcceptedMs).ToList();
        read.Should().NotContain(1_001L, "a run restored at the start is kept, whatever its length");
        read.Should().Contain([1_000L, 1_002L]);
        read.Should().Contain(Enumerable.Range(0, 150).Select(k => 5_000L + (3 * k)), "no unsettled record is passed over");
    }

    [Fact]
    public void AfterRestart_ReadUpToTheLimitRightBeforeTheLastRun_SettlingWhatWasRead_DeletesTheSegment()
    {
        // The last three records were settled by the first run; the next run reads exactly the seven before them (its read
        // limit), so nothing is left unread and no later read passes over that run.
        WriteAndSettle(10, unsettled: [0, 1, 2, 3, 4, 5, 6]);

        using var log = Reload(out _);
        var records = new List<StoredRecord>();
        log.Read(7, 0, records, out _);
        records.Should().HaveCount(7);
        log.Unread.Should().Be(0);
        foreach (var record in records)
        {
            log.Settle(record);
        }

        log.SaveAck();
        log.Pending.Should().Be(0);
        System.IO.Directory.GetFiles(Directory, "queue-*.seg").Should().BeEmpty("every record of the segment is settled: it is deleted at once");
    }

    private void WriteAndSettle(int count, int[] unsettled)
    {
        System.IO.Directory.CreateDirectory(Directory);
        using var log = new SegmentLog(Directory, 64 * 1024, [], 0);
        log.Append(Records(count));
        var records = ReadAll(log);
        records.Should().HaveCount(count);
        for (var i = 0; i < count; i++)
        {
            if (!unsettled.Contains(i))
            {
                log.Settle(records[i]);
            }
        }

        log.Pending.Should().Be(unsettled.Length);
        log.SaveAck();
        File.Exists(SettledPath).Should().BeTrue();
    }

    private SegmentLog Reload(out SegmentLoader.LoadResult loaded)
    {
        loaded = SegmentLoader.Load(Directory, long.MaxValue);
        return new SegmentLog(Directory, 64 * 1024, loaded.Segments, loaded.MaxId);
    }

    private static List<StoredRecord> ReadAll(SegmentLog log)
    {
        var records = new List<StoredRecord>();
        log.Read(100_000, 0, records, out _);
        return records;
    }

    private static List<(byte[] Payload, long AcceptedMs, int Calls)> Records(int count, long firstMs = 1_000) =>
        Enumerable.Range(0, count).Select(i => (new byte[] { (byte)'{', (byte)('0' + (i % 10)), (byte)'}' }, firstMs + i, 1)).ToList();
}
