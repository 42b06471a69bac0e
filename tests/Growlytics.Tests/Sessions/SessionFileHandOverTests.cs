using System.Text.Json;
using GrowlyticsSdk.Sessions;
using Xunit.Abstractions;

namespace GrowlyticsSdk.Tests.Sessions;

/// <summary>
/// The session file between two clients on one folder (a new client while the previous one shuts down) and around a
/// deletion of local data: what the file holds must not be written over with older state, nor deleted after it was saved.
/// </summary>
public sealed class SessionFileHandOverTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "growlytics-tests", "session-handover-" + Guid.NewGuid().ToString("N"));
    private readonly ITestOutputHelper _out;

    public SessionFileHandOverTests(ITestOutputHelper output) => _out = output;

    public void Dispose()
    {
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

    private GrowlyticsOptions Options(string? dir = null) => new()
    {
        ApiKey = "k",
        Endpoint = new Uri("http://127.0.0.1:9/"),
        StorageDirectory = dir ?? _directory,
        Protocol = GrowlyticsProtocol.Rest,
        SessionMode = SessionMode.ProcessWide,
        FlushOnProcessExit = false,
        ShutdownTimeout = TimeSpan.FromSeconds(2),
    };

    private string SessionPath(string? dir = null) => Path.Combine(dir ?? _directory, SessionStore.FileName);

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

    // A client that takes the folder over, unchanged since its start, continues the session the previous client left in the
    // file: it does not write over it with the one it read at its start (held pushes the previous client left pending were lost).
    [Fact]
    public async Task TakeOver_UnchangedSinceStart_ContinuesTheSessionThePreviousClientSaved()
    {
        var a = new GrowlyticsClient(Options());
        await a.FlushAsync();
        var b = new GrowlyticsClient(Options()); // folder held by a: b waits, with the session it read now
        b.Durable!.IsOwner.Should().BeFalse();

        a.User.Push(new Dictionary<string, object?> { ["city"] = "Pune" });
        await a.ShutdownAsync();
        var aStats = a.Statistics;
        _out.WriteLine($"first after shutdown: enqueued {aStats.Enqueued} delivered {aStats.Delivered} dropped {aStats.Dropped} pending {aStats.Pending}");
        _out.WriteLine($"file after a: {File.ReadAllText(SessionPath()).Length} characters");

        await WaitUntilAsync(() => b.Durable!.IsOwner);
        await b.Durable!.LastTakeOverAsync(); // the take-over ends after the ownership flag is set: the session continued or saved
        await b.FlushAsync();
        var after = File.ReadAllText(SessionPath());
        _out.WriteLine($"file after b took over: {after.Length} characters");
        await b.ShutdownAsync();

        await using var c = new GrowlyticsClient(Options(), startDelivery: false);
        _out.WriteLine($"c at start: pending {c.Statistics.Pending}, held {c.Counters.Held}");

        aStats.Pending.Should().Be(1, "a kept the held push pending: the file holds it for the next start");
        after.Should().Contain("city", "the push a left pending must survive in the file");
    }

    // The same as an app writes it: ShutdownAsync not awaited, a new client at once.
    [Fact]
    public async Task TakeOver_AsTheAppWritesIt_KeepsTheHeldPushThePreviousClientLeftPending()
    {
        var lost = 0;
        const int Rounds = 8;
        for (var i = 0; i < Rounds; i++)
        {
            var dir = _directory + "-" + i;
            try
            {
                var a = new GrowlyticsClient(Options(dir));
                await a.FlushAsync();
                a.User.Push(new Dictionary<string, object?> { ["city"] = "Pune" });
                var shutdown = a.ShutdownAsync();
                var b = new GrowlyticsClient(Options(dir));
                await shutdown;
                await WaitUntilAsync(() => b.Durable!.IsOwner);
                await b.Durable!.LastTakeOverAsync(); // the take-over ends after the ownership flag is set: the session continued or saved
                await b.FlushAsync();
                var text = File.ReadAllText(SessionPath(dir));
                var bHeld = b.Counters.Held;
                await b.ShutdownAsync();
                if (a.Statistics.Pending == 1 && bHeld == 0 && !text.Contains("city", StringComparison.Ordinal))
                {
                    lost++;
                }
            }
            finally
            {
                try { Directory.Delete(dir, true); } catch (IOException) { }
            }
        }

        _out.WriteLine($"held push left pending by a and lost by b: {lost}/{Rounds}");
        lost.Should().Be(0);
    }

    // A login made as DeleteLocalDataAsync starts the session over (here from a MessageDropped handler, which runs on the
    // calling thread right after) is saved after the file's deletion, never cancelled by it.
    [Fact]
    public async Task DeleteLocalData_LoginAsTheSessionStartsOver_IsSaved()
    {
        await using var client = new GrowlyticsClient(Options());
        await client.FlushAsync();
        client.User.Push(new Dictionary<string, object?> { ["city"] = "Pune" });
        await client.FlushAsync();
        client.MessageDropped += (_, e) =>
        {
            if (e.Reason == DropReason.OptedOut)
            {
                client.User.Identify("bob");
            }
        };

        await client.DeleteLocalDataAsync();
        await client.FlushAsync();

        client.User.UserId.Should().Be("bob");
        File.Exists(SessionPath()).Should().BeTrue("bob's login came after the deletion and must be saved");
    }

    // A write scheduled before the deletion does not take a session saved after it (which the deletion would then remove).
    [Fact]
    public async Task DeleteLocalData_IdentifyRightAfter_IsSaved()
    {
        var missing = 0;
        const int Rounds = 10;
        for (var i = 0; i < Rounds; i++)
        {
            var dir = _directory + "-d" + i;
            try
            {
                await using var client = new GrowlyticsClient(Options(dir));
                await client.FlushAsync();
                client.User.Push(new Dictionary<string, object?> { ["city"] = "Pune" });
                var deletion = client.DeleteLocalDataAsync();
                client.User.Identify("bob");
                await deletion;
                await client.FlushAsync();
                if (!File.Exists(SessionPath(dir)))
                {
                    missing++;
                }
            }
            finally
            {
                try { Directory.Delete(dir, true); } catch (IOException) { }
            }
        }

        _out.WriteLine($"session file missing after Identify that followed DeleteLocalDataAsync: {missing}/{Rounds}");
        missing.Should().Be(0);
    }

    // A client that deleted local data while it waited for the folder does not continue, at the take-over, the session the
    // previous owner kept writing: the deletion started it over, which is a change.
    [Fact]
    public async Task TakeOver_AfterADeletionWhileWaiting_DoesNotBringTheErasedSessionBack()
    {
        var a = new GrowlyticsClient(Options());
        a.User.Push(new Dictionary<string, object?> { ["city"] = "Pune" });
        await a.FlushAsync();
        var b = new GrowlyticsClient(Options());
        b.Durable!.IsOwner.Should().BeFalse();
        var erased = b.User.AnonymousId;
        await b.DeleteLocalDataAsync();
        var fresh = b.User.AnonymousId;
        a.User.Push(new Dictionary<string, object?> { ["zip"] = "411001" });
        await a.FlushAsync();
        await a.ShutdownAsync();

        await WaitUntilAsync(() => b.Durable!.IsOwner);
        await b.Durable!.LastTakeOverAsync(); // the take-over ends after the ownership flag is set: the session continued or saved
        await b.FlushAsync();
        var (anonymousId, held) = (b.User.AnonymousId, b.Counters.Held);
        await b.ShutdownAsync();

        anonymousId.Should().Be(fresh).And.NotBe(erased);
        held.Should().Be(0, "what the deletion erased is not held again");
    }
}
