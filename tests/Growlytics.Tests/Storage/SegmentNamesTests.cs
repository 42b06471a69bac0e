using System.Globalization;
using GrowlyticsSdk.Storage;

namespace GrowlyticsSdk.Tests.Storage;

/// <summary>Segment numbers and names a folder may hold that this version never writes: edited, copied or restored by hand.</summary>
public sealed class SegmentNamesTests : StorageTestBase
{
    public enum OutOfRange
    {
        PositionAtTheTopOfTheRange,
        NegativePosition,
        SegmentNamedAtTheTopOfTheRange,
    }

    [Theory]
    [InlineData(OutOfRange.PositionAtTheTopOfTheRange)]
    [InlineData(OutOfRange.NegativePosition)]
    [InlineData(OutOfRange.SegmentNamedAtTheTopOfTheRange)]
    public async Task Start_WithANumberNoSegmentCanFollow_StoresMessagesTheNextStartReads(OutOfRange folder)
    {
        System.IO.Directory.CreateDirectory(Directory);
        switch (folder)
        {
            case OutOfRange.PositionAtTheTopOfTheRange:
                AckFile.Write(Directory, long.MaxValue, RecordFormat.SegmentHeaderSize);
                break;
            case OutOfRange.NegativePosition:
                AckFile.Write(Directory, -3, RecordFormat.SegmentHeaderSize);
                break;
            case OutOfRange.SegmentNamedAtTheTopOfTheRange:
                File.WriteAllBytes(Path.Combine(Directory, "queue-" + long.MaxValue.ToString(CultureInfo.InvariantCulture) + ".seg"), RecordFormat.SegmentHeader());
                break;
        }

        await using (var offline = NewClient(new StorageCollector()))
        {
            PushNumbers(offline, 0, 5);
            await StoredAsync(offline);
        }

        var collector = new StorageCollector { Up = true };
        var next = NewClient(collector);
        await next.ShutdownAsync();

        collector.Numbers.Should().BeEquivalentTo(Enumerable.Range(0, 5).Select(n => (long)n), "new segments are numbered so that the next start finds them");
        next.Statistics.Restored.Should().Be(5);
        ShouldBeBalanced(next.Statistics);
    }

    [Fact]
    public async Task Start_WithCopiesOfASegmentUnderOtherSpellingsOfItsNumber_SendsEachRecordOnceAndLeavesTheCopies()
    {
        await using (var offline = NewClient(new StorageCollector()))
        {
            PushNumbers(offline, 0, 20);
            await StoredAsync(offline);
        }

        var segment = SegmentFiles().Single(f => new FileInfo(f).Length > RecordFormat.SegmentHeaderSize);
        SegmentLoader.TryParseId(Path.GetFileName(segment), out var id).Should().BeTrue();
        string[] copies =
        [
            Path.Combine(Directory, "queue-" + id.ToString(CultureInfo.InvariantCulture) + ".seg"),
            Path.Combine(Directory, "queue-0" + id.ToString("D16", CultureInfo.InvariantCulture) + ".seg"),
        ];
        foreach (var copy in copies)
        {
            File.Copy(segment, copy);
        }

        var collector = new StorageCollector { Up = true };
        var next = NewClient(collector);
        await next.ShutdownAsync();

        collector.Messages.Select(m => m.N).Should().Equal(Enumerable.Range(0, 20).Select(n => (long?)n), "only the name this version writes is its segment");
        copies.Should().OnlyContain(copy => File.Exists(copy), "files under other names are not the SDK's to delete");
        ShouldBeBalanced(next.Statistics);
    }
}
