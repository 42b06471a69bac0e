using System.Buffers.Binary;
using GrowlyticsSdk.Storage;

namespace GrowlyticsSdk.Tests.Storage;

/// <summary>
/// A folder a newer SDK version wrote, read by this one (a downgrade): its segment files are left for the version that
/// wrote them (README, Damage), counted, and never deleted unread, also when a file is larger than any segment this
/// version writes (a newer version may write larger segments, or larger records). The size check ran before the version
/// was read, so such a file was deleted as damage with every message in it.
/// </summary>
public sealed class NewerFormatLargeSegmentTests : StorageTestBase
{
    [Fact]
    public async Task Start_NewerFormatSegmentLargerThanThisVersionWrites_IsLeftCountedAndNotDeleted()
    {
        await using (var first = NewClient(new StorageCollector()))
        {
            PushNumbers(first, 0, 5);
            await first.FlushAsync();
        }

        // Built as a newer version would leave it: this version's header with the version field bumped, then 6 MB of
        // records this version cannot judge (more than a segment and the largest record it writes: about 5.06 MB here).
        var newer = SegmentLoader.SegmentPath(Directory, 1_000);
        var data = new byte[6 * 1024 * 1024];
        RecordFormat.SegmentHeader().CopyTo(data, 0);
        BinaryPrimitives.WriteUInt16LittleEndian(data.AsSpan(4), RecordFormat.FormatVersion + 1);
        data.AsSpan(RecordFormat.SegmentHeaderSize).Fill(0x5A);
        File.WriteAllBytes(newer, data);

        var collector = new StorageCollector { Up = true };
        var client = NewClient(collector, o => o.MaxStorageBytes = 64L * 1024 * 1024);
        await client.ShutdownAsync();
        var statistics = client.Statistics;
        await client.DisposeAsync();

        collector.Numbers.Should().BeEquivalentTo(Enumerable.Range(0, 5).Select(n => (long)n), "this version's own records are sent");
        File.Exists(newer).Should().BeTrue("a newer version's file is left for the version that wrote them, never deleted unread");
        File.ReadAllBytes(newer).Should().Equal(data, "it is left as it was");
        statistics.CorruptRecords.Should().Be(1, "the newer file is counted once");
        ShouldBeBalanced(statistics);
    }
}
