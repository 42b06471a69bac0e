namespace GrowlyticsSdk.Tests.Storage;

/// <summary>
/// A client that waited for its folder keeps its process-wide session in memory meanwhile; once it takes the folder
/// over, the session is written there, so a restart finds it.
/// </summary>
public sealed class SessionAfterTakeOverTests : StorageTestBase
{
    private const int TakenOver = 4012;
    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(250);

    [Fact]
    public async Task Identify_WhileWaitingForTheFolder_SessionWrittenOnceTakenOverAndRestoredAtTheNextStart()
    {
        var collector = new StorageCollector { Up = true };
        var first = NewClient(collector, o => o.SessionMode = SessionMode.RequireScope);
        var logs = new RecordingLoggerFactory();
        var second = NewClient(collector, o => o.LoggerFactory = logs);
        second.User.Identify("alice");

        // The first client lets go (Initialize again while the previous client shuts down); the second takes over.
        await first.DisposeAsync();
        await DriveUntilAsync(() => logs.Entries.Any(e => e.EventId == TakenOver), Step);
        var flush = second.FlushAsync();
        await DriveUntilAsync(() => flush.IsCompleted, Step);
        await second.DisposeAsync();

        // The next start (a restart of the app) continues the session that was logged in.
        await using var restarted = NewClient(collector);
        restarted.User.UserId.Should().Be("alice", "the session the client had when it took the folder over is kept there");
        restarted.User.AnonymousId.Should().Be(second.User.AnonymousId);
    }

    [Fact]
    public async Task Shutdown_RestPushesHeldWhileTheFolderWasNeverOurs_CountedDroppedNotLeftPending()
    {
        var collector = new StorageCollector { Up = true };
        await using var first = NewClient(collector, o => o.SessionMode = SessionMode.RequireScope);
        var second = NewClient(collector, o => o.Protocol = GrowlyticsProtocol.Rest);

        // Held for the login in memory only: the folder is the first client's, so the session file is not written.
        second.User.Push(new Dictionary<string, object?> { ["city"] = "Pune" });
        second.Statistics.Pending.Should().Be(1);
        await second.DisposeAsync();

        second.Statistics.Pending.Should().Be(0, "nothing keeps the held push once this client is gone");
        second.Statistics.DroppedByReason[DropReason.Shutdown].Should().Be(1);
        ShouldBeBalanced(second.Statistics);
    }
}
