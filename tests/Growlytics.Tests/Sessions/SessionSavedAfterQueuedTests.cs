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
    private volatile bool _slowDisk;

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

    // A shutdown that ends while the writer still holds the login (a slow disk): the folder is released only after the
    // session file took the login, so a client that takes it over next never finds the older session.
    [Fact]
    public async Task ShutdownEndsWhileTheWriterHoldsALogin_TheFolderIsReleasedOnlyAfterTheSessionIsWritten()
    {
        var client = new GrowlyticsClient(Options(GrowlyticsProtocol.Batch));
        await client.Durable!.FlushAsync(CancellationToken.None);
        _writerOpen.Reset();
        client.User.Identify("alice");
        (await _writerHeld.WaitAsync(TimeSpan.FromSeconds(20))).Should().BeTrue();

        await client.ShutdownAsync();
        using (var whileHeld = GrowlyticsSdk.Storage.StorageFolder.TryTake(_directory, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance, log: false, out _))
        {
            whileHeld.Should().BeNull("the writer still holds the folder");
        }

        _writerOpen.Set();
        var until = DateTime.UtcNow.AddSeconds(20);
        GrowlyticsSdk.Storage.StorageFolder? taken;
        while ((taken = GrowlyticsSdk.Storage.StorageFolder.TryTake(_directory, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance, log: false, out _)) is null)
        {
            DateTime.UtcNow.Should().BeBefore(until);
            await Task.Yield();
        }

        using (taken)
        {
            Session()!.UserId.Should().Be("alice", "the session is written before the folder is released");
        }
    }

    // A disk slower than the gap between logins: the saves overlap all the time, and each still reaches the file.
    [Fact]
    public async Task LoginsFasterThanTheDisk_TheFileKeepsUp_AndAFlushCompletes()
    {
        _slowDisk = true;
        await using var client = new GrowlyticsClient(Options(GrowlyticsProtocol.Batch));
        using var stop = new CancellationTokenSource();
        var calls = Task.Run(async () =>
        {
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                client.User.Identify("u" + i);
                await Task.Delay(2);
            }
        });

        await Task.Delay(300);
        var flushed = client.SessionStore!.FlushAsync();
        var completed = await Task.WhenAny(flushed, Task.Delay(TimeSpan.FromSeconds(10))) == flushed;
        var written = Session()?.UserId;
        await Task.Delay(300);
        var later = Session()?.UserId;
        await stop.CancelAsync();
        await calls;

        completed.Should().BeTrue("a flush waits for the saves made before it, not for those that keep coming");
        written.Should().NotBeNull();
        later.Should().NotBe(written, "the file keeps following the logins while they go on");
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
            if (_slowDisk)
            {
                Thread.Sleep(20);
            }

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

    private static Task WaitUntilAsync(Func<bool> condition) => GrowlyticsSdk.Tests.TestSupport.FakeClockDriver.WaitUntilAsync(condition);

    private sealed record StoredSessionView(string AnonymousId, string? UserId, int HeldCalls);
}
