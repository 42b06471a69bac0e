using GrowlyticsSdk.Sessions;

namespace GrowlyticsSdk.Tests.Storage;

/// <summary>
/// A <c>session.json</c> cut short (a disk that lost its end, a copy cut off) is skipped with a log (event 3001) and a
/// new session starts; the README says damaged files in storage are skipped, logged and counted
/// (<see cref="GrowlyticsStatistics.CorruptRecords"/>, "unreadable or foreign files"), as a damaged <c>queue.ack</c> is:
/// this one was logged only.
/// </summary>
public sealed class DamagedSessionFileTests : StorageTestBase
{
    [Fact]
    public async Task Start_WithACutSessionFile_StartsANewSession_CountsAndLogsTheDamage()
    {
        await using (var first = NewClient(new StorageCollector()))
        {
            first.User.Identify("user-1");
            await first.FlushSessionFileAsync();
        }

        var path = Path.Combine(Directory, SessionStore.FileName);
        var whole = File.ReadAllBytes(path);
        whole.Length.Should().BeGreaterThan(10);
        for (var cut = 1; cut < whole.Length; cut += Math.Max(1, whole.Length / 7))
        {
            File.WriteAllBytes(path, whole[..cut]);
            var logs = new RecordingLoggerFactory();

            await using var next = NewClient(new StorageCollector(), o => o.LoggerFactory = logs);

            next.User.UserId.Should().BeNull("the damaged session is not continued (cut at {0})", cut);
            logs.Entries.Should().Contain(e => e.EventId == 3001);
            next.Statistics.CorruptRecords.Should().Be(1, "a damaged session file is a damaged file in storage (cut at {0})", cut);
        }
    }
}
