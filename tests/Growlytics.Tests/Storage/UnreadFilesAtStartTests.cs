using System.Buffers.Binary;
using GrowlyticsSdk.Storage;

namespace GrowlyticsSdk.Tests.Storage;

/// <summary>
/// Stored segments a start cannot read (held by another program, written by a newer version) are left for a later start:
/// the position a later start saves never makes them look settled, so they are never deleted unread.
/// </summary>
public sealed class UnreadFilesAtStartTests : StorageTestBase
{
    private const int Stored = 200;
    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(200);

    // Small segments, so the stored numbers take several files.
    private static readonly Action<GrowlyticsOptions> Small = o => o.MaxStorageBytes = 64 * 1024;

    [Fact]
    public async Task SegmentHeldByAnotherProgramAtStart_IsLeftThere_AndTheNextStartDeliversEverything()
    {
        var segments = await StoreNumbersInSmallSegmentsAsync(Stored);
        var logs = new RecordingLoggerFactory();
        var second = new StorageCollector { Up = true };
        GrowlyticsStatistics secondStatistics;

        // Another program holds the newest segment while the second client starts (an antivirus, a backup tool).
        using (new FileStream(segments[^1], FileMode.Open, FileAccess.Read, FileShare.None))
        {
            await using var client = NewClient(second, o =>
            {
                Small(o);
                o.LoggerFactory = logs;
            });
            PushNumbers(client, 1_000, 10);
            var flush = client.FlushAsync();
            await DriveUntilAsync(() => flush.IsCompleted && client.Statistics is { Pending: 0, Restored: > 0 }, Step);
            await client.ShutdownAsync();
            secondStatistics = client.Statistics;
        }

        logs.Entries.Should().Contain(e => e.EventId == 4019, "the log says a stored file was not read and stays");
        logs.Entries.Should().NotContain(e => e.EventId == 4016, "the rest of the folder was read");
        secondStatistics.Dropped.Should().Be(0);
        var restoredBySecond = second.Numbers.Where(n => n < Stored).ToList();
        restoredBySecond.Should().HaveCount((int)secondStatistics.Restored).And.HaveCountLessThan(Stored, "the segments that could be read were restored and sent, not the held one");
        second.Numbers.Should().Contain(Enumerable.Range(1_000, 10).Select(n => (long)n), "new calls are delivered meanwhile");
        SegmentFiles().Should().Equal([segments[^1]], "what the second start could not read is left for the next one; what it sent is deleted");

        var third = new StorageCollector { Up = true };
        await using var next = NewClient(third, Small);
        await DriveUntilAsync(() => next.Statistics is { Pending: 0, Restored: > 0 }, Step);
        third.Numbers.Should().BeEquivalentTo(Enumerable.Range(0, Stored).Select(n => (long)n).Except(restoredBySecond), "every stored number is delivered once it can be read, once");
        (next.Statistics.Dropped, next.Statistics.CorruptRecords).Should().Be((0, 0));
        ShouldBeBalanced(next.Statistics);
    }

    [Fact]
    public async Task SettledFileHeldByAnotherProgramAtStart_LeavesTheWholeStoredQueue_AndTheNextStartDeliversIt()
    {
        await StoreNumbersInSmallSegmentsAsync(Stored);
        var settled = Path.Combine(Directory, SettledFile.FileName);
        File.WriteAllBytes(settled, [1, 2, 3, 4]);
        var logs = new RecordingLoggerFactory();
        var second = new StorageCollector { Up = true };
        GrowlyticsStatistics secondStatistics;

        // Read, the file names runs already delivered; unread, it cannot say which: the start sends none of the stored
        // queue (rather than send again what it names) and leaves it for the next start, as for an unreadable position.
        using (new FileStream(settled, FileMode.Open, FileAccess.Read, FileShare.None))
        {
            await using var client = NewClient(second, o =>
            {
                Small(o);
                o.LoggerFactory = logs;
            });
            PushNumbers(client, 1_000, 10);
            var flush = client.FlushAsync();
            await DriveUntilAsync(() => flush.IsCompleted && client.Statistics.Pending == 0, Step);
            await client.ShutdownAsync();
            secondStatistics = client.Statistics;
        }

        logs.Entries.Should().Contain(e => e.EventId == 4016, "the log says the stored queue could not be read and stays");
        secondStatistics.Restored.Should().Be(0);
        second.Numbers.Should().BeEquivalentTo(Enumerable.Range(1_000, 10).Select(n => (long)n), "only the new calls are sent meanwhile");

        var third = new StorageCollector { Up = true };
        await using var next = NewClient(third, Small);
        await DriveUntilAsync(() => next.Statistics is { Pending: 0, Restored: > 0 }, Step);
        third.Numbers.Should().BeEquivalentTo(Enumerable.Range(0, Stored).Select(n => (long)n), "every stored number is delivered once the files can be read");
        next.Statistics.Dropped.Should().Be(0);
        ShouldBeBalanced(next.Statistics);
    }

    [Fact]
    public async Task NewerFormatSegment_OnceTheSavedPositionHasPassedIt_IsStillLeftForItsWriter()
    {
        var segments = await StoreNumbersInSmallSegmentsAsync(Stored);
        var newer = segments[1];
        var data = File.ReadAllBytes(newer);
        BinaryPrimitives.WriteUInt16LittleEndian(data.AsSpan(4), RecordFormat.FormatVersion + 1);
        File.WriteAllBytes(newer, data);

        // The first start delivers every other segment and saves a position past the newer one; the second start finds
        // that file below the position.
        for (var start = 1; start <= 2; start++)
        {
            var logs = new RecordingLoggerFactory();
            var collector = new StorageCollector { Up = true };
            await using var client = NewClient(collector, o =>
            {
                Small(o);
                o.LoggerFactory = logs;
            });
            PushNumbers(client, 1_000 * start, 10);
            var flush = client.FlushAsync();
            await DriveUntilAsync(() => flush.IsCompleted && client.Statistics.Pending == 0, Step);
            await client.ShutdownAsync();

            File.Exists(newer).Should().BeTrue("a newer version's file is left for that version (start {0})", start);
            logs.Entries.Should().Contain(e => e.EventId == 4005, "each start says it left the file (start {0})", start);
            if (start == 1)
            {
                collector.Numbers.Should().HaveCount(Stored - NumbersIn(data) + 10, "the readable segments are delivered");
            }
            else
            {
                collector.Numbers.Should().BeEquivalentTo(Enumerable.Range(2_000, 10).Select(n => (long)n), "nothing is sent twice");
            }
        }
    }

    [Fact]
    public async Task TemporaryPositionAndPrivacyFilesLeftByAKilledProcess_AreDeletedAtStart()
    {
        await StoreNumbersInSmallSegmentsAsync(Stored);
        var leftAck = Path.Combine(Directory, AckFile.FileName + "." + Guid.NewGuid().ToString("N") + ".tmp");
        var leftSettled = Path.Combine(Directory, SettledFile.FileName + "." + Guid.NewGuid().ToString("N") + ".tmp");
        var leftPrivacy = Path.Combine(Directory, PrivacyFile.FileName + "." + Guid.NewGuid().ToString("N") + ".tmp");
        File.WriteAllBytes(leftAck, new byte[28]);
        File.WriteAllBytes(leftSettled, new byte[10]);
        File.WriteAllText(leftPrivacy, "{\"version\":1,\"optedOut\":tr");

        var collector = new StorageCollector { Up = true };
        await using var client = NewClient(collector, Small);
        await DriveUntilAsync(() => client.Statistics.Delivered == Stored, Step);

        File.Exists(leftAck).Should().BeFalse();
        File.Exists(leftSettled).Should().BeFalse();
        File.Exists(leftPrivacy).Should().BeFalse("an opt-out or opt-in killed between its write and its rename leaves one too");
        collector.Numbers.Should().HaveCount(Stored);
    }

    private static int NumbersIn(byte[] segment)
    {
        var count = 0;
        var offset = RecordFormat.SegmentHeaderSize;
        while (RecordFormat.NextRecord(segment, offset, segment.Length, out var length, out _, out _) is var found && found < segment.Length)
        {
            count++;
            offset = found + length;
        }

        return count;
    }
}
