using GrowlyticsSdk.Messages;
using GrowlyticsSdk.Sessions;
using GrowlyticsSdk.Tests.TestSupport.Caller;
using static GrowlyticsSdk.Tests.TestSupport.Caller.CallerValidation;

namespace GrowlyticsSdk.Tests.Sessions;

/// <summary>
/// Pushes a REST run held for the login and left in the session file at its shutdown: the next start counts them
/// restored (accepted by the previous run, not by a call of this one); a next start with the <c>Batch</c> protocol (which
/// has an anonymous update for them) queues them, counted restored, and saves the session without them, so they are
/// neither lost uncounted nor sent again by the start after it.
/// </summary>
public sealed class HeldAcrossRestartTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "growlytics-tests", Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    [Fact]
    public async Task Restart_HeldPushesRestoredFromTheSessionFile_AreCountedRestored()
    {
        await using (var first = NewStoredClient(GrowlyticsProtocol.Rest))
        {
            first.User.Push(One("city", "Pune"));
            first.User.Push(One("plan", "pro"));
        }

        await using var second = NewStoredClient(GrowlyticsProtocol.Rest);
        var statistics = second.Statistics;
        (statistics.Enqueued, statistics.Restored, statistics.Pending).Should().Be((2, 2, 2), "no call was made in this run: both pushes were accepted by the previous one");
    }

    [Fact]
    public async Task Restart_WithBatch_HeldPushesAreQueuedAsTheAnonymousUpdateTheyWere_AndNotAgainAtTheNextStart()
    {
        string anonymousId;
        await using (var first = NewStoredClient(GrowlyticsProtocol.Rest))
        {
            first.User.Push(One("city", "Pune"));
            first.User.Push(One("plan", "pro"));
            anonymousId = first.User.AnonymousId;
            first.Statistics.Pending.Should().Be(2, "kept in the session file for the login");
        }

        File.ReadAllText(Path.Combine(_directory, SessionStore.FileName)).Should().Contain("held");
        await using (var second = NewStoredClient(GrowlyticsProtocol.Batch))
        {
            var statistics = second.Statistics;
            (statistics.Enqueued, statistics.Restored, statistics.Pending, statistics.Dropped).Should().Be((2, 2, 2, 0));
            second.Queue.TryRead(out var message).Should().BeTrue();
            (message.Type, message.AnonymousId, message.UserId, message.Calls).Should().Be((MessageType.Update, anonymousId, (string?)null, 2));
            message.Attributes.Select(a => a.Name).Should().BeEquivalentTo("city", "plan");
            second.Queue.TryRead(out _).Should().BeFalse();
            second.User.AnonymousId.Should().Be(anonymousId, "the session continues");

            await second.FlushSessionFileAsync();
            File.ReadAllText(Path.Combine(_directory, SessionStore.FileName)).Should().NotContain("held", "they are queued now, not held");
        }

        await using var third = NewStoredClient(GrowlyticsProtocol.Batch);
        third.Statistics.Restored.Should().Be(0, "the previous start queued them (stored, or counted at its shutdown): not queued again from the session file");
        third.User.AnonymousId.Should().Be(anonymousId);
    }

    [Fact]
    public async Task Restart_WithBatch_HeldPushesAreDelivered()
    {
        await using (var first = NewStoredClient(GrowlyticsProtocol.Rest))
        {
            first.User.Push(One("city", "Pune"));
        }

        var collector = new Storage.StorageCollector { Up = true };
        await using var second = new GrowlyticsClient(new GrowlyticsOptions
        {
            ApiKey = "k",
            Endpoint = new Uri("http://127.0.0.1:9/"),
            HttpClient = new HttpClient(collector),
            StorageDirectory = _directory,
            Protocol = GrowlyticsProtocol.Batch,
            FlushOnProcessExit = false,
        });
        await second.FlushAsync().WaitAsync(TimeSpan.FromSeconds(30));

        var statistics = second.Statistics;
        (statistics.Restored, statistics.Delivered, statistics.Pending).Should().Be((1, 1, 0));
        collector.Messages.Should().ContainSingle("the push the previous run held is sent once");
    }

    private GrowlyticsClient NewStoredClient(GrowlyticsProtocol protocol) => new(
        new GrowlyticsOptions
        {
            ApiKey = "k",
            Endpoint = new Uri("http://127.0.0.1:9/"),
            StorageDirectory = _directory,
            Protocol = protocol,
            FlushOnProcessExit = false,
            ShutdownTimeout = TimeSpan.FromSeconds(5),
        },
        startDelivery: false);
}
