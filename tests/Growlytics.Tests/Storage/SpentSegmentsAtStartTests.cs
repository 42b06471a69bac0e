using GrowlyticsSdk.Storage;

namespace GrowlyticsSdk.Tests.Storage;

/// <summary>
/// A folder holding many segment files with no record (a header alone: a writer that started a segment at each start, or on
/// a full disk): the restored records do not wait for those files to be deleted, which on some disks takes milliseconds each.
/// </summary>
public sealed class SpentSegmentsAtStartTests : StorageTestBase
{
    private const int HeaderOnlyFiles = 200;

    [Fact]
    public async Task Start_WithManySegmentsHoldingNoRecord_ReadsTheRestoredRecordsBeforeDeletingThemAndDeletesThemAll()
    {
        await using (var offline = NewClient(new StorageCollector()))
        {
            PushNumbers(offline, 0, 3);
            await StoredAsync(offline);
        }

        SegmentLoader.TryParseId(Path.GetFileName(SegmentFiles()[^1]), out var highest).Should().BeTrue();
        var headerOnly = Enumerable.Range(1, HeaderOnlyFiles).Select(i => SegmentLoader.SegmentPath(Directory, highest + i)).ToList();
        foreach (var path in headerOnly)
        {
            File.WriteAllBytes(path, RecordFormat.SegmentHeader());
        }

        var leftAtFirstRead = -1;
        var collector = new StorageCollector { Up = true };
        await using var next = NewClient(collector, o => o.AfterStoreRead = read =>
        {
            if (read > 0 && Volatile.Read(ref leftAtFirstRead) < 0)
            {
                Volatile.Write(ref leftAtFirstRead, headerOnly.Count(File.Exists));
            }
        });

        // The clock stands still: the writer makes its first turn after the load and waits for the next one.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (Volatile.Read(ref leftAtFirstRead) < 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(5);
        }

        leftAtFirstRead.Should().BeGreaterThan(
            HeaderOnlyFiles - DurableQueue.SpentFilesPerTurn - 1,
            "the restored records are read after one writer turn's deletions at most, not after every file holding nothing is deleted");

        await DriveUntilAsync(() => next.Statistics.Delivered == 3 && !headerOnly.Any(File.Exists), TimeSpan.FromMilliseconds(100));
        collector.Numbers.Should().BeEquivalentTo([0L, 1L, 2L]);
        next.Statistics.Restored.Should().Be(3);
        next.Statistics.CorruptRecords.Should().Be(0);
        next.Statistics.Dropped.Should().Be(0);
        ShouldBeBalanced(next.Statistics);
    }

    [Fact]
    public void Tracks_SegmentsInTheOrderOfTheirNumbers_FindsEachAndNoOther()
    {
        System.IO.Directory.CreateDirectory(Directory);
        long[] ids = [2, 3, 7, 40, 41, 1_000];
        var loaded = ids.Select(id => new Segment(id, SegmentLoader.SegmentPath(Directory, id), RecordFormat.SegmentHeaderSize, RecordFormat.SegmentHeaderSize)).ToList();
        using var log = new SegmentLog(Directory, 4096, loaded, ids[^1]);

        ids.Should().OnlyContain(id => log.Tracks(id));
        new long[] { 0, 1, 4, 8, 39, 42, 999, 1_001, long.MaxValue }.Should().NotContain(id => log.Tracks(id));
    }
}
