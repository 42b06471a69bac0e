using GrowlyticsSdk.Sessions;
using GrowlyticsSdk.Storage;

namespace GrowlyticsSdk.Tests.Storage;

/// <summary>
/// A file that cannot be deleted (its folder read-only to the user) is emptied instead: what it held is gone, and the next
/// start finds nothing in it, reports nothing damaged and sends nothing.
/// </summary>
public sealed class EmptiedFilesTests : StorageTestBase
{
    [Fact]
    public void DeleteOrEmpty_DeleteRefused_EmptiesTheFileAndSaysItsContentIsGone()
    {
        System.IO.Directory.CreateDirectory(Directory);
        var path = Path.Combine(Directory, "queue-0000000000000001.seg");
        File.WriteAllBytes(path, [1, 2, 3, 4, 5]);

        var erased = StorageFiles.DeleteOrEmpty(path, static _ => throw new UnauthorizedAccessException("read-only folder"), out var error);

        erased.Should().BeTrue();
        error.Should().Be(nameof(UnauthorizedAccessException));
        new FileInfo(path).Length.Should().Be(0);
    }

    [Fact]
    public void DeleteOrEmpty_NeitherPossible_SaysSo()
    {
        // A directory where a file is expected: neither deleted as a file nor opened to be emptied.
        var path = Path.Combine(Directory, "queue-0000000000000002.seg");
        System.IO.Directory.CreateDirectory(path);

        var erased = StorageFiles.DeleteOrEmpty(path, static p => File.Delete(p), out var error);

        erased.Should().BeFalse();
        error.Should().NotBeNull();
        System.IO.Directory.Exists(path).Should().BeTrue();
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void DeleteFiles_KeepsQueueAckOnlyWhenASegmentStays(bool aSegmentStays)
    {
        System.IO.Directory.CreateDirectory(Directory);
        var stays = Path.Combine(Directory, "queue-0000000000000002.seg");
        if (aSegmentStays)
        {
            // A directory where a file is expected: neither deleted as a file nor opened to be emptied.
            System.IO.Directory.CreateDirectory(stays);
        }

        var goes = Path.Combine(Directory, "queue-0000000000000003.seg");
        File.WriteAllBytes(goes, [1, 2, 3]);
        AckFile.Write(Directory, 4, RecordFormat.SegmentHeaderSize);
        var ack = Path.Combine(Directory, AckFile.FileName);
        var settled = Path.Combine(Directory, SettledFile.FileName);
        File.WriteAllBytes(settled, [1]);
        string[] segments = aSegmentStays ? [stays, goes] : [goes];

        var failed = SegmentLog.DeleteFiles(segments, [ack, settled], out var error);

        (failed, error is null).Should().Be(aSegmentStays ? (1, false) : (0, true), "the segment that stays is counted");
        File.Exists(goes).Should().BeFalse();
        File.Exists(settled).Should().BeFalse();
        File.Exists(ack).Should().Be(aSegmentStays, "a position kept passes over at least as much at the next start as none would");
    }

    [Fact]
    public async Task Start_WithTheQueueAndSessionFilesEmptied_RestoresAndSendsNothingAndReportsNoDamage()
    {
        var collector = new StorageCollector { Up = false };
        await using (var first = NewClient(collector, o => o.SessionMode = SessionMode.ProcessWide))
        {
            PushNumbers(first, 0, 5);
            first.User.Identify("u-1");
            await first.FlushAsync();
        }

        // What a deletion in a read-only folder leaves: every file there, empty.
        var files = System.IO.Directory.GetFiles(Directory, "queue-*.seg")
            .Append(Path.Combine(Directory, AckFile.FileName))
            .Append(Path.Combine(Directory, SessionStore.FileName))
            .Where(File.Exists)
            .ToList();
        files.Should().Contain(p => p.EndsWith(".seg", StringComparison.Ordinal)).And.Contain(p => p.EndsWith(SessionStore.FileName, StringComparison.Ordinal));
        foreach (var path in files)
        {
            File.WriteAllBytes(path, []);
        }

        collector.Up = true;
        var logs = new RecordingLoggerFactory();
        await using var next = NewClient(collector, o =>
        {
            o.SessionMode = SessionMode.ProcessWide;
            o.LoggerFactory = logs;
        });
        await next.FlushAsync();

        next.Statistics.Restored.Should().Be(0);
        next.Statistics.CorruptRecords.Should().Be(0, "an emptied file is no damage");
        next.User.IsIdentified.Should().BeFalse("the emptied session file holds no user");
        collector.Messages.Should().BeEmpty();
        // Neither "damaged records" (4004), "session file unreadable" (3001) nor "restored" (4003).
        logs.Entries.Select(e => e.EventId).Should().NotContain([4004, 3001, 4003], "nothing is wrong with, or in, an emptied file");
    }
}
