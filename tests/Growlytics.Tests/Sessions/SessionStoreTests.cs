using System.Text;
using GrowlyticsSdk.Sessions;
using GrowlyticsSdk.Tests.Storage;

namespace GrowlyticsSdk.Tests.Sessions;

public sealed class SessionStoreTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "growlytics-tests", Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (File.Exists(_directory))
        {
            File.Delete(_directory);
        }

        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    [Fact]
    public async Task Restart_AfterIdentify_RestoresAnonymousIdAndUserId()
    {
        string anonymousId;
        await using (var first = NewClient())
        {
            anonymousId = first.User.AnonymousId;
            first.User.Identify("u-1");
        }

        await using var second = NewClient();

        second.User.AnonymousId.Should().Be(anonymousId);
        second.User.UserId.Should().Be("u-1");
    }

    [Fact]
    public async Task Restart_AfterLogout_RestoresTheFreshAnonymousSession()
    {
        string anonymousAfterLogout;
        await using (var first = NewClient())
        {
            first.User.Identify("u-1");
            first.User.Logout();
            anonymousAfterLogout = first.User.AnonymousId;
        }

        await using var second = NewClient();

        second.User.UserId.Should().BeNull();
        second.User.AnonymousId.Should().Be(anonymousAfterLogout);
    }

    [Fact]
    public async Task Save_WhileWritesFail_WarnsOnceAndSaysWhenAWriteWorksAgain()
    {
        // A file where the folder should be: every write fails, as on a full or read-only disk.
        Directory.CreateDirectory(Path.GetDirectoryName(_directory)!);
        File.WriteAllText(_directory, "not a folder");
        using var logs = new RecordingLoggerFactory();
        var store = new SessionStore(_directory, logs.CreateLogger("GrowlyticsSdk"));

        for (var i = 0; i < 20; i++)
        {
            store.Save(new StoredSession("anon-" + i, null, [], 0));
            await store.FlushAsync();
        }

        logs.Entries.Where(e => e.EventId == 3002).Should().ContainSingle("one line per run of failures, not one per write");

        File.Delete(_directory);
        store.Save(new StoredSession("anon-last", "u-1", [], 0));
        await store.FlushAsync();

        File.ReadAllText(Path.Combine(_directory, SessionStore.FileName)).Should().Contain("anon-last");
        logs.Entries.Where(e => e.EventId == 3004).Should().ContainSingle().Which.Message.Should().Contain("20 write(s) had failed");
        logs.Entries.Should().NotContain(e => e.Message.Contains("u-1", StringComparison.Ordinal), "ids are never logged");
    }

    [Fact]
    public async Task Save_WaitingForQueuedMessages_ADeletionMeanwhileVoidsIt_ALaterSaveWaitsAndWrites()
    {
        var store = new SessionStore(_directory, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        var stored = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        store.Save(new StoredSession("anon-before", "u-1", [], 0), stored.Task);
        await store.DeleteAsync();
        store.Save(new StoredSession("anon-after", null, [], 0));
        var flushed = store.FlushAsync();
        await Task.Delay(50);

        flushed.IsCompleted.Should().BeFalse("a save made while another waits for the stored queue waits too");
        File.Exists(Path.Combine(_directory, SessionStore.FileName)).Should().BeFalse();

        stored.SetResult();
        await flushed.WaitAsync(TimeSpan.FromSeconds(20));

        var text = File.ReadAllText(Path.Combine(_directory, SessionStore.FileName));
        text.Should().Contain("anon-after").And.NotContain("u-1", "a save from before the deletion never writes after it");
        store.Holds(0).Should().BeTrue();
    }

    [Fact]
    public async Task Save_WaitsOverlapping_EachWaitThatEndsWrites_AndAFlushWaitsOnlyForSavesBeforeIt()
    {
        var store = new SessionStore(_directory, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        var first = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var second = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        store.Save(new StoredSession("anon-1", "u-1", [], 0), first.Task);
        var flushed = store.FlushAsync();
        store.Save(new StoredSession("anon-2", null, [], 0), second.Task);
        first.SetResult();

        await flushed.WaitAsync(TimeSpan.FromSeconds(20));
        File.ReadAllText(Path.Combine(_directory, SessionStore.FileName)).Should().Contain("anon-1", "the first save's messages are stored: it writes, though a later save still waits");
        store.Holds(0).Should().BeFalse("a save still waits");

        second.SetResult();
        await store.FlushAsync().WaitAsync(TimeSpan.FromSeconds(20));
        File.ReadAllText(Path.Combine(_directory, SessionStore.FileName)).Should().Contain("anon-2");
        store.Holds(0).Should().BeTrue();
    }

    [Fact]
    public async Task Forget_WhileASaveWaits_NothingFromBeforeItIsWritten_NoFileDeleted()
    {
        var store = new SessionStore(_directory, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        store.Save(new StoredSession("anon-0", null, [], 0));
        await store.FlushAsync();
        var stored = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        store.Save(new StoredSession("anon-1", "u-1", [], 0), stored.Task);
        store.Forget();
        stored.SetResult();
        await store.FlushAsync().WaitAsync(TimeSpan.FromSeconds(20));
        await Task.Delay(50);

        File.ReadAllText(Path.Combine(_directory, SessionStore.FileName)).Should().Contain("anon-0").And.NotContain("u-1");
    }

    [Fact]
    public async Task FlushAsync_WithStorage_ReturnsOnceTheSessionIsOnDisk()
    {
        await using var client = NewClient();
        client.User.Identify("u-7");

        await client.FlushAsync();

        File.ReadAllText(Path.Combine(_directory, SessionStore.FileName)).Should().Contain("\"userId\":\"u-7\"");
    }

    [Theory]
    [InlineData("")]
    [InlineData("{\"version\":1,\"anonymousId\":\"abc")]
    [InlineData("{\"version\":3,\"anonymousId\":\"abc\",\"userId\":null}")]
    [InlineData("{\"version\":1,\"anonymousId\":\"has spaces\",\"userId\":null}")]
    [InlineData("{\"version\":1,\"anonymousId\":\"abc\",\"userId\":\"01234567890123456789012345678901234567890\"}")]
    [InlineData("{\"anonymousId\":\"abc\",\"userId\":null}")]
    [InlineData("{\"version\":1,\"anonymousId\":\"abc\",\"userId\":5}")]
    [InlineData("\u0000\u0001garbage\u00ff")]
    public async Task Start_WithDamagedSessionFile_StartsAFreshSessionAndRewritesTheFile(string content)
    {
        Directory.CreateDirectory(_directory);
        var path = Path.Combine(_directory, SessionStore.FileName);
        // Without a byte order mark, as the SDK writes it: each case is refused for its own rule, not for the mark.
        await File.WriteAllTextAsync(path, content, new UTF8Encoding(false));

        await using (var client = NewClient())
        {
            client.User.UserId.Should().BeNull();
            client.User.AnonymousId.Should().NotBe("abc");
            await client.FlushAsync();
        }

        File.ReadAllText(path).Should().StartWith("{\"version\":2,");
    }

    [Fact]
    public async Task Start_WithHugeSessionFile_StartsAFreshSession()
    {
        // A session that would read back well (JSON allows the trailing spaces) but is larger than any session the SDK
        // writes (1 MB): only its size makes it damaged.
        Directory.CreateDirectory(_directory);
        var path = Path.Combine(_directory, SessionStore.FileName);
        var session = Encoding.UTF8.GetBytes("{\"version\":2,\"anonymousId\":\"AAAAAAAAAAAAAAAAAAAAAA\",\"userId\":\"u-huge\"}");
        var huge = new byte[(1024 * 1024) + 1];
        Array.Fill(huge, (byte)' ');
        session.CopyTo(huge, 0);
        await File.WriteAllBytesAsync(path, huge);

        await using (var client = NewClient())
        {
            client.User.UserId.Should().BeNull("the huge file's session is not continued");
            client.User.AnonymousId.Should().NotBe("AAAAAAAAAAAAAAAAAAAAAA");
            await client.FlushAsync();
        }

        new FileInfo(path).Length.Should().BeLessThan(1024, "the fresh session replaced the huge file");
    }

    [Fact]
    public async Task Start_WithAnEnormousSessionFile_DoesNotReadItIntoMemory()
    {
        // A file grown far past any session (a disk error, another program's data under the name): 256 MB, sparse where
        // the file system allows, so the test costs no disk space.
        Directory.CreateDirectory(_directory);
        using (var file = File.Create(Path.Combine(_directory, SessionStore.FileName)))
        {
            file.SetLength(256L * 1024 * 1024);
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        await using var client = NewClient();
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        client.User.UserId.Should().BeNull();
        allocated.Should().BeLessThan(16L * 1024 * 1024, "a file larger than any session is passed over by its length, not read into memory at start");
    }

    [Fact]
    [Trait("Requires", "net8")] // The netstandard2.0 build cannot set file modes (docs/security.md).
    public async Task SessionFile_OnUnix_IsReadableByTheCurrentUserOnly()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        await using (var client = NewClient())
        {
            client.User.Identify("u-1");
        }

        File.GetUnixFileMode(Path.Combine(_directory, SessionStore.FileName)).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }

    [Fact]
    public async Task ScopedSessions_AreNotPersisted()
    {
        await using (var client = NewClient())
        {
            using (client.BeginScope())
            {
                client.User.Identify("scoped-user");
            }
        }

        await using var again = NewClient();
        again.User.UserId.Should().BeNull();
    }

    private GrowlyticsClient NewClient() => new(
        new GrowlyticsOptions { ApiKey = "k", Endpoint = new Uri("http://127.0.0.1:9/"), StorageDirectory = _directory },
        startDelivery: false);
}
