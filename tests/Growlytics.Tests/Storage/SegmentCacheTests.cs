using GrowlyticsSdk.Storage;

namespace GrowlyticsSdk.Tests.Storage;

/// <summary>
/// The reader's cache of the segment it reads: a segment only grows, so after a commit only the new bytes are read; what
/// it returns is always the committed bytes, whether the segment grew, another was read between, or the file is short.
/// </summary>
public sealed class SegmentCacheTests : StorageTestBase
{
    [Fact]
    public void GrowingSegment_ReturnsEveryCommittedByte_AndReadsOnlyTheNewOnesIntoTheSameBuffer()
    {
        System.IO.Directory.CreateDirectory(Directory);
        var path = Path.Combine(Directory, "queue-1.seg");
        var expected = new List<byte>();
        var segment = new Segment(1, path, ackOffset: 0, length: 0);
        using var cache = new SegmentCache();
        byte[]? firstBuffer = null;
        using (var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.ReadWrite))
        {
            for (var commit = 0; commit < 50; commit++)
            {
                var bytes = Enumerable.Range(0, 100 + commit).Select(i => (byte)(commit + i)).ToArray();
                file.Write(bytes, 0, bytes.Length);
                file.Flush();
                expected.AddRange(bytes);
                segment.Length = expected.Count;

                var data = cache.Read(segment, out var length);

                length.Should().Be(expected.Count);
                data.AsSpan(0, length).ToArray().Should().Equal(expected);
                firstBuffer ??= data;
            }
        }

        // 50 commits, about 7.4 KB: all in the first buffer (16 KB), none copied anew.
        cache.Read(segment, out _).Should().BeSameAs(firstBuffer);

        // Bytes written past the committed length (a write not yet counted) are not returned.
        File.AppendAllText(path, "not committed");
        cache.Read(segment, out var committed);
        committed.Should().Be(expected.Count);
    }

    [Fact]
    public void AnotherSegmentReadBetween_ReturnsEachSegmentsOwnBytes()
    {
        System.IO.Directory.CreateDirectory(Directory);
        var first = Write("queue-1.seg", 40_000, 1);
        var second = Write("queue-2.seg", 30_000, 2);
        using var cache = new SegmentCache();

        var data = cache.Read(first, out var length);
        length.Should().Be(40_000);
        data.AsSpan(0, length).ToArray().Should().OnlyContain(b => b == 1);

        data = cache.Read(second, out length);
        length.Should().Be(30_000);
        data.AsSpan(0, length).ToArray().Should().OnlyContain(b => b == 2);

        data = cache.Read(first, out length);
        length.Should().Be(40_000);
        data.AsSpan(0, length).ToArray().Should().OnlyContain(b => b == 1);
    }

    [Fact]
    public void FileShorterThanCommitted_ReturnsWhatIsThere_ThenTheRestOnceWritten()
    {
        System.IO.Directory.CreateDirectory(Directory);
        var segment = Write("queue-1.seg", 100, 7);
        segment.Length = 300;
        using var cache = new SegmentCache();

        cache.Read(segment, out var length);
        length.Should().Be(100, "the file was cut short");

        using (var file = new FileStream(segment.Path, FileMode.Append, FileAccess.Write))
        {
            file.Write(Enumerable.Repeat((byte)8, 200).ToArray(), 0, 200);
        }
        var data = cache.Read(segment, out length);
        length.Should().Be(300);
        data.AsSpan(100, 200).ToArray().Should().OnlyContain(b => b == 8);
    }

    [Fact]
    public void UnreadableSegment_ReturnsNothing()
    {
        // Another segment read first: none of its bytes may be returned as the missing one's.
        System.IO.Directory.CreateDirectory(Directory);
        var present = Path.Combine(Directory, "present.seg");
        File.WriteAllBytes(present, Enumerable.Repeat((byte)7, 100).ToArray());
        using var cache = new SegmentCache();
        cache.Read(new Segment(8, present, 0, 100), out var before);
        before.Should().Be(100);
        cache.Missing.Should().BeFalse();

        cache.Read(new Segment(9, Path.Combine(Directory, "missing.seg"), 0, 1000), out var length);

        length.Should().Be(0);
        cache.Missing.Should().BeTrue("the reader settles what it could not read as lost");
    }

    [Fact]
    public void MissingFile_IsSaidToBeMissing_UntilAnotherSegmentIsRead()
    {
        System.IO.Directory.CreateDirectory(Directory);
        using var cache = new SegmentCache();
        cache.Read(new Segment(9, Path.Combine(Directory, "queue-9.seg"), 0, 1000), out _);
        cache.Missing.Should().BeTrue();

        cache.Read(Write("queue-1.seg", 100, 1), out var length);
        (length, cache.Missing).Should().Be((100, false));
    }

    private Segment Write(string name, int count, byte value)
    {
        var path = Path.Combine(Directory, name);
        File.WriteAllBytes(path, Enumerable.Repeat(value, count).ToArray());
        return new Segment(long.Parse(name[6..^4], System.Globalization.CultureInfo.InvariantCulture), path, 0, count);
    }
}
