using GrowlyticsSdk.Storage;
using GrowlyticsSdk.Tests.Storage;
using Microsoft.Extensions.Logging;

namespace GrowlyticsSdk.Tests.Privacy;

/// <summary>
/// The privacy controls of a client whose shutdown has begun or completed (a stale reference to a replaced client), on
/// the client and through the facade.
/// </summary>
public sealed class PrivacyAfterShutdownTests : StorageTestBase
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task OptOutOrOptIn_AfterShutdown_Throws_TheNextClientsSavedChoiceStands(bool optOut)
    {
        var collector = new StorageCollector { Up = true };
        var first = NewClient(collector);
        await first.DisposeAsync();
        await using var second = NewClient(collector);
        if (!optOut)
        {
            second.OptOut();
        }

        var saved = File.Exists(PrivacyFilePath) ? File.ReadAllText(PrivacyFilePath) : null;

        Action act = optOut ? first.OptOut : first.OptIn;

        act.Should().Throw<ObjectDisposedException>().WithMessage("*shut down*neither applied nor saved*");
        first.IsOptedOut.Should().BeFalse();
        (File.Exists(PrivacyFilePath) ? File.ReadAllText(PrivacyFilePath) : null).Should().Be(saved, "the folder is the second client's");
        second.IsOptedOut.Should().Be(!optOut);
    }

    [Fact]
    public async Task OptOut_WhileTheShutdownRuns_StillApplies()
    {
        var collector = new StorageCollector { Up = false };
        var client = NewClient(collector);
        PushNumbers(client, 0, 3);
        var shutdown = client.ShutdownAsync();

        client.OptOut();

        client.IsOptedOut.Should().BeTrue();
        await DriveUntilAsync(() => shutdown.IsCompleted, TimeSpan.FromMilliseconds(200));
        File.ReadAllText(PrivacyFilePath).Should().Be("{\"version\":1,\"optedOut\":true}");
        collector.Messages.Should().BeEmpty();
    }

    [Fact]
    public async Task DeleteLocalDataAsync_OnceTheShutdownHasBegun_Throws_AndTheFolderKeepsWhatMemoryHeldForTheNextStart()
    {
        var collector = new StorageCollector { Up = false };
        var client = NewClient(collector);
        PushNumbers(client, 0, 3);
        var shutdown = client.ShutdownAsync();

        // The shutdown waits only for deletions begun before it: one begun now would run while it writes what memory holds
        // to the folder for the next start, and on after it released the folder.
        var act = () => client.DeleteLocalDataAsync();

        await act.Should().ThrowAsync<ObjectDisposedException>().WithMessage("*shut down*");
        await DriveUntilAsync(() => shutdown.IsCompleted, TimeSpan.FromMilliseconds(200));
        await ShouldHaveKeptNumbersInTheFolderAsync(client, collector, 3, TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public async Task FacadePrivacyMembers_OfAClientWhoseShutdownHasBegunOrCompleted_ThrowAsTheClientsDo()
    {
        var collector = new StorageCollector { Up = false };
        var client = NewClient(collector);

        // The facade hands out its client while it shuts down, and a test's client (or one shut down at the process's end)
        // after that too.
        using var _ = Growlytics.UseClient(client);
        PushNumbers(client, 0, 1);
        var shutdown = client.ShutdownAsync();

        var delete = () => Growlytics.DeleteLocalDataAsync();

        // Whether the shutdown has completed or still runs (with nothing to hold it, it may end at once), a deletion
        // throws once it has begun.
        await delete.Should().ThrowAsync<ObjectDisposedException>();
        await DriveUntilAsync(() => shutdown.IsCompleted, TimeSpan.FromMilliseconds(200));
        Action optIn = Growlytics.OptIn;
        optIn.Should().Throw<ObjectDisposedException>();
    }

    [Fact]
    public async Task OptIn_WhileTheShutdownEndsAfterReleasingTheFolder_DoesNotRewriteTheNextClientsChoice()
    {
        var collector = new StorageCollector { Up = true };
        using var totalsLogged = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        var first = NewClient(collector, o => o.LoggerFactory = new BlockOnTotals(totalsLogged, release));
        PushNumbers(first, 0, 3);
        first.OptOut();

        // The folder is released, then the totals are logged: a slow log sink holds the shutdown there.
        var shutdown = Task.Run(() => first.ShutdownAsync());
        await DriveUntilAsync(() => totalsLogged.IsSet, TimeSpan.FromMilliseconds(100));
        await using var second = NewClient(collector);
        second.IsOptedOut.Should().BeTrue("the user's opt-out was saved");

        // A stale reference to the first client, its shutdown not yet complete.
        first.OptIn();
        release.Set();
        await shutdown;

        File.ReadAllText(PrivacyFilePath).Should().Be("{\"version\":1,\"optedOut\":true}", "the folder is the second client's; the choice saved there stands");
    }

    private string PrivacyFilePath => Path.Combine(Directory, PrivacyFile.FileName);

    private sealed class BlockOnTotals(ManualResetEventSlim logged, ManualResetEventSlim release) : ILoggerFactory, ILogger
    {
        public void AddProvider(ILoggerProvider provider)
        {
        }

        public ILogger CreateLogger(string categoryName) => this;

        public void Dispose()
        {
        }

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (eventId.Id == 2015)
            {
                logged.Set();
                release.Wait(TimeSpan.FromSeconds(30));
            }
        }
    }
}
