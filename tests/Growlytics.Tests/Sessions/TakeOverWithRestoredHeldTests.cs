using GrowlyticsSdk.Sessions;
using Xunit.Abstractions;

namespace GrowlyticsSdk.Tests.Sessions;

/// <summary>
/// A second instance of a desktop app (REST) starts while the first holds the folder and the session file holds pushes
/// held for the login: it restores them with the session. The first instance then logs the user in (the held pushes go
/// with that login) and exits. The second, which changed nothing since its start, takes the folder over: it must continue
/// the session the file holds now (the login), not write the anonymous session it read at its start over it, with the
/// held pushes that were already sent.
/// </summary>
public sealed class TakeOverWithRestoredHeldTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "growlytics-tests", "takeover-restored-held-" + Guid.NewGuid().ToString("N"));
    private readonly ITestOutputHelper _out;

    public TakeOverWithRestoredHeldTests(ITestOutputHelper output) => _out = output;

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

    private GrowlyticsOptions Options() => new()
    {
        ApiKey = "k",
        Endpoint = new Uri("http://127.0.0.1:9/"),
        StorageDirectory = _directory,
        Protocol = GrowlyticsProtocol.Rest,
        SessionMode = SessionMode.ProcessWide,
        FlushOnProcessExit = false,
        ShutdownTimeout = TimeSpan.FromSeconds(1),
    };

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

    [Fact]
    public async Task TakeOver_UnchangedSinceStart_WithHeldPushesRestored_ContinuesTheLoginThePreviousClientSaved()
    {
        var a = new GrowlyticsClient(Options());
        a.User.Push(new Dictionary<string, object?> { ["city"] = "Pune" });
        await a.FlushSessionFileAsync();

        var b = new GrowlyticsClient(Options()); // the folder is a's: b waits, with the session (and held push) it read now
        b.Durable!.IsOwner.Should().BeFalse();
        b.Counters.Held.Should().Be(1, "b restored the push held in the file");

        a.User.Identify("alice"); // the held push goes with alice's login; the file now says alice, nothing held
        await a.FlushToStorageAsync();
        await a.FlushSessionFileAsync();
        await a.ShutdownAsync();
        var aFile = File.ReadAllText(Path.Combine(_directory, SessionStore.FileName));
        _out.WriteLine($"file after a: {aFile.Length} characters");
        aFile.Should().Contain("alice");

        await WaitUntilAsync(() => b.Durable!.IsOwner);
        await b.Durable!.LastTakeOverAsync(); // the take-over ends after the ownership flag is set: the session continued or saved
        await b.FlushSessionFileAsync();
        var bFile = File.ReadAllText(Path.Combine(_directory, SessionStore.FileName));
        _out.WriteLine($"file after b took over: {bFile.Length} characters");
        var (userId, held, statistics) = (b.User.UserId, b.Counters.Held, b.Statistics);
        await b.ShutdownAsync();
        _out.WriteLine($"b: enqueued {statistics.Enqueued} restored {statistics.Restored} pending {statistics.Pending} dropped {statistics.Dropped}");

        userId.Should().Be("alice", "b changed nothing since its start: the session the file holds continues");
        bFile.Should().Contain("alice").And.NotContain("city", "the held push was sent with alice's login: not held again for the next login");
        held.Should().Be(0, "b holds nothing once it continues alice's session");
        (statistics.Enqueued - statistics.Delivered - statistics.Dropped).Should().Be(statistics.Pending);
    }
}
