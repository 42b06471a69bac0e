using GrowlyticsSdk.Tests.TestSupport;

namespace GrowlyticsSdk.Tests.Sessions;

/// <summary>
/// A client that starts while the previous one still holds the storage folder keeps its session in memory until it takes
/// the folder over. A logout made meanwhile, before or while the user is opted out, must reach the session file at the
/// take-over: a restart (opted out, as the user chose) continues the session the app had, never the user who logged out.
/// </summary>
public sealed class TakeOverWhileOptedOutTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "growlytics-tests", "take-over-opted-out-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
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
    public async Task LogoutWhileTheFolderIsHeld_ThenOptedOutAtTheTakeOver_TheRestartedSessionIsLoggedOut(GrowlyticsProtocol protocol, bool logoutWhileOptedOut)
    {
        var previous = new GrowlyticsClient(Options(protocol));
        previous.User.Identify("alice", new Dictionary<string, object?> { ["plan"] = "pro" });
        await previous.SessionStore!.FlushAsync().WaitAsync(TimeSpan.FromSeconds(20));

        // Started while the previous client holds the folder: alice's session, read from the file, kept in memory.
        var next = new GrowlyticsClient(Options(protocol));
        string anonymousId;
        try
        {
            next.Durable!.IsOwner.Should().BeFalse("the previous client holds the folder");
            next.User.UserId.Should().Be("alice");
            if (logoutWhileOptedOut)
            {
                next.OptOut();
                next.User.Logout();
            }
            else
            {
                next.User.Logout();
                next.OptOut();
            }

            anonymousId = next.User.AnonymousId;
            next.User.UserId.Should().BeNull();

            await previous.ShutdownAsync();
            await FakeClockDriver.WaitUntilAsync(() => next.Durable!.IsOwner);
        }
        finally
        {
            await previous.ShutdownAsync();
            await next.ShutdownAsync();
        }

        await using var restarted = new GrowlyticsClient(Options(protocol));
        restarted.IsOptedOut.Should().BeTrue("the choice is kept");
        restarted.User.UserId.Should().BeNull("alice logged out before the restart; the session file must say so");
        restarted.User.AnonymousId.Should().Be(anonymousId);
    }

    private GrowlyticsOptions Options(GrowlyticsProtocol protocol) => new()
    {
        ApiKey = "k",
        Endpoint = new Uri("http://127.0.0.1:9/"),
        StorageDirectory = _directory,
        Protocol = protocol,
        SessionMode = SessionMode.ProcessWide,
        FlushOnProcessExit = false,
        ShutdownTimeout = TimeSpan.FromSeconds(1),
    };
}
