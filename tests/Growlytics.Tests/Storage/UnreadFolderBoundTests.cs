using GrowlyticsSdk.Storage;

namespace GrowlyticsSdk.Tests.Storage;

/// <summary>
/// A segment file that cannot be read at start (event 4019): the others are restored and sent, the one left counts toward
/// MaxStorageBytes, and a run that delivered what it stored leaves no segment of its own behind (it saves no position, so
/// the next start would read that segment again). All of the folder went unread before, and each start added to it.
/// </summary>
public sealed class UnreadFolderBoundTests : StorageTestBase
{
    private const long Bound = 64 * 1024;
    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(200);

    [Fact]
    public async Task FolderUnreadableAtEachStart_ServiceDown_SdkFilesStayWithinMaxStorageBytes()
    {
        var segments = await StoreNumbersInSmallSegmentsAsync(200);
        var sizes = new List<long>();

        // Another program (or a file the user cannot read) keeps the oldest segment unreadable across three starts.
        using (new FileStream(segments[0], FileMode.Open, FileAccess.Read, FileShare.None))
        {
            for (var start = 1; start <= 3; start++)
            {
                var client = NewClient(new StorageCollector(), o => o.MaxStorageBytes = Bound);
                PushNumbers(client, start * 10_000, 1_000);
                await StoredAsync(client);
                await ShutDownDrivingAsync(client, Step);
                ShouldBeBalanced(client.Statistics);
                await client.DisposeAsync();
                sizes.Add(SdkFileBytes());
            }
        }

        sizes.Should().OnlyContain(s => s <= Bound, "the SDK's files stay within MaxStorageBytes (README, Bounds); sizes after each start: {0}", string.Join(", ", sizes));
    }

    [Fact]
    public async Task FolderUnreadableAtEachStart_ServiceUp_EachRunDeletesTheSegmentsItDelivered()
    {
        var segments = await StoreNumbersInSmallSegmentsAsync(200);
        var counts = new List<int>();
        var collector = new StorageCollector { Up = true };

        using (new FileStream(segments[0], FileMode.Open, FileAccess.Read, FileShare.None))
        {
            for (var start = 1; start <= 3; start++)
            {
                var client = NewClient(collector, o => o.MaxStorageBytes = 1024 * 1024);
                PushNumbers(client, start * 10_000, 300);
                var flush = client.FlushAsync();
                await DriveUntilAsync(() => flush.IsCompleted, Step);
                await ShutDownDrivingAsync(client, Step);
                var statistics = client.Statistics;
                statistics.Dropped.Should().Be(0, "{0}", string.Join(", ", statistics.DroppedByReason.Where(r => r.Value > 0)));
                statistics.Pending.Should().Be(0);
                await client.DisposeAsync();
                counts.Add(SegmentFiles().Length);
            }
        }

        counts.Should().OnlyContain(c => c == 1, "only the segment the starts could not read stays; the others were restored and sent; after each start: {0}", string.Join(", ", counts));
        var restoredSent = collector.Numbers.Count(n => n < 200);
        restoredSent.Should().BeInRange(1, 199, "what the readable segments held was sent, not what the unread one holds");
        collector.Numbers.Should().Contain(199, "the last number stored is in the last segment, which was read");
    }

    private long SdkFileBytes() =>
        System.IO.Directory.GetFiles(Directory)
            .Select(p => new FileInfo(p))
            .Where(f => f.Name.StartsWith("queue", StringComparison.Ordinal) || f.Name.StartsWith("session", StringComparison.Ordinal))
            .Sum(StorageLimits.LengthOrZero);
}
