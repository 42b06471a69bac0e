using GrowlyticsSdk.Sessions;

namespace GrowlyticsSdk.Tests.Storage;

/// <summary>
/// A <c>Batch</c> client starts while a <c>Rest</c> client holds the folder and the session file already holds pushes the
/// REST client held for the login: the Batch client queues them at its start (as the anonymous update they were). When
/// the REST client then shuts down leaving them in the file, the Batch client takes the folder over and finds the same
/// pushes in the file: they are the ones it queued already, and must be neither queued nor counted a second time.
/// </summary>
public sealed class BatchTakeOverHeldAtStartTests : StorageTestBase
{
    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(50);

    [Fact]
    public async Task BatchClientStartedWhileRestHolderHadHeldPushes_TakesOver_SendsThemOnce()
    {
        var collector = new StoredRestCollector { Up = true };
        var first = NewClient(new StorageCollector(), o => (o.Protocol, o.HttpClient) = (GrowlyticsProtocol.Rest, new HttpClient(collector)));
        first.User.Push(new Dictionary<string, object?> { ["a"] = 1 });
        first.User.Push(new Dictionary<string, object?> { ["b"] = 2 });
        await first.FlushSessionFileAsync();

        var logs = new RecordingLoggerFactory();
        var second = NewClient(new StorageCollector(), o => (o.HttpClient, o.LoggerFactory) = (new HttpClient(collector), logs));
        second.Durable!.IsOwner.Should().BeFalse("the REST client holds the folder");
        second.Statistics.Restored.Should().Be(2, "the Batch start queued the two held pushes");

        await first.DisposeAsync();
        first.Statistics.Pending.Should().Be(2, "left in the session file");

        await DriveUntilAsync(() => second.Durable!.IsOwner && logs.Entries.Any(e => e.EventId == 4012), Step);
        await second.FlushSessionFileAsync();
        var flush = second.FlushAsync();
        await DriveUntilAsync(() => flush.IsCompleted, Step);

        collector.Accepted.Count(a => a.Names.Contains("a")).Should().Be(1, "the held pushes are one anonymous update, sent once");
        second.Statistics.Restored.Should().Be(2, "two pushes were restored, once");
        ShouldBeBalanced(second.Statistics);
        File.ReadAllText(Path.Combine(Directory, SessionStore.FileName)).Should().NotContain("\"held\"");
        await second.DisposeAsync();
    }
}
