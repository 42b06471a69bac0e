using GrowlyticsSdk.Sessions;

namespace GrowlyticsSdk.Tests.Storage;

/// <summary>
/// A client that waited for its folder, its session unchanged since its start, reads <c>session.json</c> again when it
/// takes the folder over; a file damaged from outside is then not the start of a new session: the client keeps the session
/// it has and writes it over the file. The line said "a new session was started" (event 3001, that of a start); it is
/// event 3006, which says what happens.
/// </summary>
public sealed class DamagedSessionFileAtTakeOverTests : StorageTestBase
{
    private const int UnreadableAtStart = 3001;
    private const int UnreadableAtTakeOver = 3006;
    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(250);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task TakeOver_SessionFileDamagedFromOutside_LogsThatTheSessionContinuesAndIsWrittenOverIt_NotANewSession(bool damagedAtStart)
    {
        var path = Path.Combine(Directory, SessionStore.FileName);
        var damaged = "{\"version\":2,\"anonymousId\":\"cut-"u8.ToArray();
        var collector = new StorageCollector { Up = true };
        var first = NewClient(collector, o => o.SessionMode = SessionMode.RequireScope); // writes no session file
        if (damagedAtStart)
        {
            File.WriteAllBytes(path, damaged);
        }

        var logs = new RecordingLoggerFactory();
        var second = NewClient(collector, o => o.LoggerFactory = logs);
        second.Durable!.IsOwner.Should().BeFalse("the first client holds the folder");
        var anonymousId = second.User.AnonymousId;
        logs.Entries.Count(e => e.EventId == UnreadableAtStart).Should().Be(damagedAtStart ? 1 : 0, "at the start, a damaged file starts a new session");

        // Damaged from outside while the first client holds the folder (a sync tool, a copy cut off); then the first goes.
        File.WriteAllBytes(path, damaged);
        await first.DisposeAsync();
        await DriveUntilAsync(() => second.Durable.IsOwner, Step);
        await second.Durable.LastTakeOverAsync(); // the take-over ends after the ownership flag is set: the session saved
        await second.FlushSessionFileAsync();
        var file = File.ReadAllText(path);
        var (userAnonymousId, corrupt) = (second.User.AnonymousId, second.Statistics.CorruptRecords);
        await ShutDownDrivingAsync(second, Step);

        userAnonymousId.Should().Be(anonymousId, "the client keeps the session it has");
        file.Should().Contain(anonymousId, "its session is written over the damaged file");
        corrupt.Should().Be(1, "one damaged file, counted once");
        logs.Entries.Count(e => e.EventId == UnreadableAtStart).Should().Be(damagedAtStart ? 1 : 0, "no new session was started at the take-over");
        logs.Entries.Where(e => e.EventId == UnreadableAtTakeOver).Should().ContainSingle("the take-over's read of the damaged file is logged")
            .Which.Message.Should().Contain("continues").And.NotContain("new session");
        logs.Entries.Should().NotContain(e => e.Message.Contains("test-key", StringComparison.Ordinal));
    }
}
