using GrowlyticsSdk.Tests.TestSupport;

namespace GrowlyticsSdk.Tests.Sessions;

/// <summary>
/// A <c>Logout</c> or an <c>Identify</c> of another user that the client accepted (it was not opted out when the call
/// checked) while another thread's <c>OptOut</c> begins: the change happened before the opt-out, so the session file keeps
/// it, and a restart (which starts opted out) continues the session the app had, never the user who logged out.
/// </summary>
public sealed class SessionChangeRacingOptOutTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "growlytics-tests", "change-racing-opt-out-" + Guid.NewGuid().ToString("N"));
    private readonly QueueAddGate _gate = new();

    public enum Change
    {
        Logout,
        IdentifyAnother,
    }

    public void Dispose()
    {
        _gate.Dispose();
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    [Theory]
    [InlineData(GrowlyticsProtocol.Batch, Change.Logout)]
    [InlineData(GrowlyticsProtocol.Batch, Change.IdentifyAnother)]
    [InlineData(GrowlyticsProtocol.Rest, Change.IdentifyAnother)]
    public async Task OptOutBeginsWhileTheChangeQueuesItsMessage_TheRestartedSessionIsTheChangedOne(GrowlyticsProtocol protocol, Change change)
    {
        var first = new GrowlyticsClient(Options(protocol));
        string anonymousId;
        string? userId;
        try
        {
            first.User.Identify("alice", new Dictionary<string, object?> { ["plan"] = "pro" });
            await first.SessionStore!.FlushAsync().WaitAsync(DeliveryHarness.RealTimeout);

            // The change stops where its message is added to the queue (it was accepted: not opted out at its check), as a
            // thread preempted there would; another thread opts out meanwhile.
            _gate.Arm();
            var call = Task.Run(() =>
            {
                if (change == Change.Logout)
                {
                    first.User.Logout();
                }
                else
                {
                    first.User.Identify("bob", new Dictionary<string, object?> { ["plan"] = "max" });
                }
            });
            _gate.Entered.Wait(DeliveryHarness.RealTimeout).Should().BeTrue("the change queues a message");
            var optOut = Task.Run(first.OptOut);
            await FakeClockDriver.WaitUntilAsync(() => first.IsOptedOut);
            _gate.Release.Set();
            await call.WaitAsync(DeliveryHarness.RealTimeout);
            await optOut.WaitAsync(DeliveryHarness.RealTimeout);

            anonymousId = first.User.AnonymousId;
            userId = first.User.UserId;
            userId.Should().Be(change == Change.Logout ? null : "bob", "the change was made");
        }
        finally
        {
            await first.ShutdownAsync();
        }

        await using var restarted = new GrowlyticsClient(Options(protocol));
        restarted.IsOptedOut.Should().BeTrue("the choice is kept");
        restarted.User.UserId.Should().Be(userId, "the session file keeps the change made before the opt-out, not alice, who had left");
        restarted.User.AnonymousId.Should().Be(anonymousId);
    }

    private GrowlyticsOptions Options(GrowlyticsProtocol protocol) => new()
    {
        ApiKey = DeliveryHarness.ApiKey,
        Endpoint = new Uri("http://127.0.0.1:9/"),
        StorageDirectory = _directory,
        Protocol = protocol,
        SessionMode = SessionMode.ProcessWide,
        FlushOnProcessExit = false,
        ShutdownTimeout = TimeSpan.FromSeconds(1),
        BeforeQueueAdd = _gate.BeforeAdd,
    };
}
