using GrowlyticsSdk.Storage;

namespace GrowlyticsSdk.Tests.Storage;

/// <summary>
/// A <c>queue.settled</c> cut short or damaged (a crash while it was replaced, a disk that lost its end): its runs are not
/// used, so their records are sent again. The README says damaged files are skipped, logged and counted
/// (<see cref="GrowlyticsStatistics.CorruptRecords"/>), as a damaged <c>queue.ack</c> is; this one was passed over silently.
/// </summary>
public sealed class DamagedSettledFileTests : StorageTestBase
{
    private const int Count = 20;
    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(100);

    private string SettledPath => Path.Combine(Directory, SettledFile.FileName);

    [Fact]
    public void SettledFileCutAtAnyLength_IsCountedAsDamage_AndEveryRecordIsReadAgain()
    {
        System.IO.Directory.CreateDirectory(Directory);
        using (var log = new SegmentLog(Directory, 64 * 1024, [], 0))
        {
            log.Append(Enumerable.Range(0, 10).Select(i => (new byte[] { (byte)'{', (byte)('0' + i), (byte)'}' }, 1_000L + i, 1)).ToList());
            var records = new List<StoredRecord>();
            log.Read(100, 0, records, out _);
            foreach (var record in records.Skip(1))
            {
                log.Settle(record);
            }

            log.SaveAck();
        }

        var whole = File.ReadAllBytes(SettledPath);
        SegmentLoader.Load(Directory, long.MaxValue).Corrupt.Should().Be(0, "the file as written is not damage");
        for (var cut = 1; cut < whole.Length; cut++)
        {
            File.WriteAllBytes(SettledPath, whole[..cut]);

            var loaded = SegmentLoader.Load(Directory, long.MaxValue);

            loaded.Segments.Sum(s => s.Pending).Should().Be(10, "the runs of a damaged file are not used (cut at {0})", cut);
            loaded.Corrupt.Should().Be(1, "a damaged queue.settled is counted as a damaged queue.ack is (cut at {0})", cut);
        }
    }

    [Fact]
    public async Task Start_WithACutSettledFile_SendsEveryStoredMessage_CountsAndLogsTheDamage()
    {
        var refusing = new StorageCollector { Up = true, Refuse = numbers => numbers.Contains(0) };
        var first = NewClient(refusing);
        UpdateCustomerNumbers(first, 0, Count);
        await StoredAsync(first);
        await DriveUntilAsync(() => first.Statistics.Delivered == Count - 1, Step);
        var released = first.DisposeAsync().AsTask();
        await DriveUntilAsync(() => released.IsCompleted, Step);
        await released;

        var whole = File.ReadAllBytes(SettledPath);
        File.WriteAllBytes(SettledPath, whole[..(whole.Length / 2)]);

        var collector = new StorageCollector { Up = true };
        var logs = new RecordingLoggerFactory();
        await using var second = NewClient(collector, o => o.LoggerFactory = logs);
        var flush = second.FlushAsync();
        await DriveUntilAsync(() => flush.IsCompleted, Step);
        await flush;

        collector.Numbers.Should().BeEquivalentTo(Enumerable.Range(0, Count).Select(n => (long)n), "a damaged file costs copies, never a message");
        second.Statistics.CorruptRecords.Should().Be(1);
        logs.Entries.Should().Contain(e => e.EventId == 4004);
        ShouldBeBalanced(second.Statistics);
    }
}
