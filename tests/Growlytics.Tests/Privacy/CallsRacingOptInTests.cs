using GrowlyticsSdk.Tests.TestSupport;

namespace GrowlyticsSdk.Tests.Privacy;

/// <summary>
/// A login or logout made on another thread while <c>OptIn</c> runs is either refused (made before the opt-in: the session
/// stays, or ends, as while opted out) or accepted and queued (made after it), never half of each: a session that took
/// the new user while the queue still refused the login's message went on as that user with the login dropped
/// (<see cref="DropReason.OptedOut"/>), so the service never merged the visitor's anonymous profile into it.
/// </summary>
public sealed class CallsRacingOptInTests : IDisposable
{
    private const int PrivacyChoiceNotSaved = 7004;
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "growlytics-tests", "calls-racing-opt-in-" + Guid.NewGuid().ToString("N"));
    private readonly DeliveryLog _log = new();
    private readonly ManualResetEventSlim _entered = new();
    private readonly ManualResetEventSlim _release = new();
    private int _armed;

    public CallsRacingOptInTests()
    {
        // The choice's file cannot be written (a folder took its name): OptIn logs so while it runs, and the log holds it
        // there, as a slow disk would hold it in its write.
        Directory.CreateDirectory(Path.Combine(_directory, "privacy.json"));
        _log.BeforeLog = id =>
        {
            if (id == PrivacyChoiceNotSaved && Interlocked.Exchange(ref _armed, 0) == 1)
            {
                _entered.Set();
                _release.Wait(DeliveryHarness.RealTimeout);
            }
        };
    }

    public void Dispose()
    {
        _release.Set();
        _entered.Dispose();
        _release.Dispose();
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    [Theory]
    [InlineData(GrowlyticsProtocol.Batch, false)]
    [InlineData(GrowlyticsProtocol.Batch, true)]
    [InlineData(GrowlyticsProtocol.Rest, false)]
    [InlineData(GrowlyticsProtocol.Rest, true)]
    public async Task IdentifyWhileOptInRuns_IsRefusedOrQueued_NeverTakenWithItsLoginDropped(GrowlyticsProtocol protocol, bool anotherUserFirst)
    {
        await using var client = new GrowlyticsClient(new GrowlyticsOptions
        {
            ApiKey = DeliveryHarness.ApiKey,
            Endpoint = new Uri("http://127.0.0.1:9/"),
            Protocol = protocol,
            StorageDirectory = _directory,
            SessionMode = SessionMode.ProcessWide,
            LoggerFactory = _log,
            FlushOnProcessExit = false,
            ShutdownTimeout = TimeSpan.FromSeconds(1),
        });
        if (anotherUserFirst)
        {
            client.User.Identify("alice", new Dictionary<string, object?> { ["plan"] = "pro" });
        }

        client.OptOut();
        await FakeClockDriver.WaitUntilAsync(() => client.Statistics.Pending == 0);
        var droppedBefore = client.Statistics.DroppedByReason[DropReason.OptedOut];

        Volatile.Write(ref _armed, 1);
        var optIn = Task.Run(client.OptIn);
        _entered.Wait(DeliveryHarness.RealTimeout).Should().BeTrue("OptIn writes the choice");
        client.User.Identify("bob", new Dictionary<string, object?> { ["plan"] = "max" });
        _release.Set();
        await optIn.WaitAsync(DeliveryHarness.RealTimeout);

        var dropped = client.Statistics.DroppedByReason[DropReason.OptedOut] - droppedBefore;
        if (client.User.UserId == "bob")
        {
            dropped.Should().Be(0, "a login the session took was accepted after the opt-in: its message is queued, not dropped");
            client.Statistics.Pending.Should().BeGreaterThan(0, "bob's login waits to be sent");
        }
        else
        {
            client.User.UserId.Should().BeNull("refused as made while opted out, the call ends alice's session and keeps nobody");
            dropped.Should().Be(1, "the refused call is counted");
        }
    }
}
