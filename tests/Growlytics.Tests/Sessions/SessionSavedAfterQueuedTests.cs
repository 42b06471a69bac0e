using System.Text.Json;
using GrowlyticsSdk.Sessions;

namespace GrowlyticsSdk.Tests.Sessions;

/// <summary>
/// A login or logout rewrites the session file only once the messages it queued are in the stored queue: a process killed
/// in between must find the file as it was before the call (its held attributes, its user), never a session whose login,
/// logout or held attributes lived in memory only and died with the process.
/// </summary>
public sealed class SessionSavedAfterQueuedTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "growlytics-tests", "session-after-queued-" + Guid.NewGuid().ToString("N"));
    private readonly ManualResetEventSlim _writerOpen = new(true);
    private readonly SemaphoreSlim _writerHeld = new(0);

    public void Dispose()
    {
        _writerOpen.Set();
        try
        {
            if (Directory.Exists(_directory))
            {
                Directory.Delete(_directory, recursive: true);
            }
        }
        catch (IOException)
        {
        }
    }

    [Fact]
    public async Task Identify_Rest_FileKeepsHeldAttributesUntilTheLoginIsStored()
    {
        await using var client = new GrowlyticsClient(Options(GrowlyticsProtocol.Rest));
        client.User.Push(new Dictionary<string, object?> { ["city"] = "Pune" });
        await WaitUntilAsync(() => Session() is { UserId: null, HeldCalls: 1 });
        var anonymousId = Session()!.AnonymousId;

        // The writer stops with the login's upsert (the held attribute merged in) taken from memory, not yet written.
        _writerOpen.Reset();
        client.User.Identify("bob", new Dictionary<string, object?> { ["plan"] = "max" });
        (await _writerHeld.WaitAsync(TimeSpan.FromSeconds(20))).Should().BeTrue("the login's upsert reaches the storage writer");
        await Task.Delay(200);

        Session().Should().BeEquivalentTo(
            new { AnonymousId = anonymousId, UserId = (string?)null, HeldCalls = 1 },
            "a kill now must leave the held attribute in the file: the upsert that carries it is in memory only");

        _writerOpen.Set();
        await WaitUntilAsync(() => Session() is { UserId: "bob", HeldCalls: 0 });
        client.Statistics.Pending.Should().Be(2, "the held push and the login wait in the stored queue (the service is unreachable)");
    }

    [Fact]
    public async Task Logout_Batch_FileKeepsTheUserUntilTheLogoutIsStored()
    {
        await using var client = new GrowlyticsClient(Options(GrowlyticsProtocol.Batch));
        client.User.Identify("alice");
        await WaitUntilAsync(() => Session() is { UserId: "alice" });
        await client.Durable!.FlushAsync(CancellationToken.None);
        var anonymousId = Session()!.AnonymousId;

        _writerOpen.Reset();
        client.User.Logout();
        (await _writerHeld.WaitAsync(TimeSpan.FromSeconds(20))).Should().BeTrue("the logout message reaches the storage writer");
        await Task.Delay(200);

        Session().Should().BeEquivalentTo(
            new { AnonymousId = anonymousId, UserId = "alice" },
            "a kill now must leave alice logged in: her logout message is in memory only");

        _writerOpen.Set();
        await WaitUntilAsync(() => Session() is { UserId: null } session && session.AnonymousId != anonymousId);
    }

    [Fact]
    public async Task SavesWhileOneWaits_OnlyTheLatestIsWritten_AndFlushWaitsForIt()
    {
        await using var client = new GrowlyticsClient(Options(GrowlyticsProtocol.Batch));
        await client.Durable!.FlushAsync(CancellationToken.None);

        _writerOpen.Reset();
        client.User.Identify("alice");
        (await _writerHeld.WaitAsync(TimeSpan.FromSeconds(20))).Should().BeTrue();
        client.User.Logout();
        client.User.Identify("carol");
        var flushed = client.SessionStore!.FlushAsync();
        await Task.Delay(100);
        flushed.IsCompleted.Should().BeFalse("the saves wait for the writer, which holds alice's login");
        Session()!.UserId.Should().BeNull();

        _writerOpen.Set();
        await flushed.WaitAsync(TimeSpan.FromSeconds(20));
        Session()!.UserId.Should().Be("carol", "the latest state is written, never an earlier one after it");
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
        BeforeStorageAppend = () =>
        {
            if (!_writerOpen.IsSet)
            {
                _writerHeld.Release();
                _writerOpen.Wait(TimeSpan.FromSeconds(20));
            }
        },
    };

    private StoredSessionView? Session()
    {
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(_directory, SessionStore.FileName)));
            var root = document.RootElement;
            var userId = root.TryGetProperty("userId", out var user) && user.ValueKind == JsonValueKind.String ? user.GetString() : null;
            var heldCalls = root.TryGetProperty("held", out var held) ? held.GetProperty("calls").GetInt32() : 0;
            return new StoredSessionView(root.GetProperty("anonymousId").GetString()!, userId, heldCalls);
        }
        catch (Exception ex) when (ex is IOException or JsonException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var until = DateTime.UtcNow.AddSeconds(20);
        while (!condition())
        {
            if (DateTime.UtcNow > until)
            {
                throw new TimeoutException();
            }

            await Task.Delay(10);
        }
    }

    private sealed record StoredSessionView(string AnonymousId, string? UserId, int HeldCalls);
}
