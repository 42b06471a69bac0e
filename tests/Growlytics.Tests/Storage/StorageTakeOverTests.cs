using GrowlyticsSdk.Storage;
using GrowlyticsSdk.Tests.TestSupport;

namespace GrowlyticsSdk.Tests.Storage;

/// <summary>
/// A client waiting to take over a folder another client holds keeps trying when the folder, once released, cannot be
/// used for a while: it says why, once, and takes the folder when it can.
/// </summary>
public sealed class StorageTakeOverTests : StorageTestBase
{
    private const int HeldByOther = 4001;
    private const int TakeOverWaits = 4014;
    private const int TakenOver = 4012;
    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(250);

    [Fact]
    public async Task SessionChangedWhileAnotherClientHoldsTheFolder_SaysOnceThatItIsNotSavedYet_AndSavesItAtTheTakeOver()
    {
        var collector = new StorageCollector { Up = true };
        var logs = new RecordingLoggerFactory();
        var first = NewClient(collector);
        first.User.Identify("u-a");
        await first.FlushSessionFileAsync();
        await using var second = NewClient(collector, o => o.LoggerFactory = logs);
        second.User.UserId.Should().Be("u-a", "the second client starts with the session the folder holds");

        second.User.Logout();
        second.User.Identify("u-b");

        await DeliveryHarness.WaitUntilAsync(() => second.CallLinesWritten);
        logs.Entries.Where(e => e.EventId == 3005).Should().ContainSingle("once per client, at the first change not saved")
            .Which.Message.Should().Contain("another client holds the storage folder").And.NotContain("u-a").And.NotContain("u-b");
        File.ReadAllText(Path.Combine(Directory, GrowlyticsSdk.Sessions.SessionStore.FileName)).Should().Contain("u-a", "the holder's session stays as it saved it");

        await first.DisposeAsync();
        await DriveUntilAsync(() => logs.Entries.Any(e => e.EventId == TakenOver), Step);
        await second.FlushSessionFileAsync();
        File.ReadAllText(Path.Combine(Directory, GrowlyticsSdk.Sessions.SessionStore.FileName)).Should().Contain("u-b").And.NotContain("u-a");
    }

    [Fact]
    public async Task NewSessionAtTheStartWhileAnotherClientHoldsTheFolder_IsNoChangeOfTheApp_TheFirstLoginIsTheOneLogged()
    {
        var collector = new StorageCollector { Up = true };
        var logs = new RecordingLoggerFactory();
        await using var first = NewClient(collector, o => o.SessionMode = SessionMode.RequireScope); // writes no session file
        await using var second = NewClient(collector, o => o.LoggerFactory = logs); // no file: a new session

        await DeliveryHarness.WaitUntilAsync(() => second.CallLinesWritten);
        logs.Entries.Should().NotContain(e => e.EventId == 3005, "the app made no login, logout or push: the line would send its reader looking for one");

        second.User.Identify("u-b");
        await DeliveryHarness.WaitUntilAsync(() => second.CallLinesWritten);
        logs.Entries.Where(e => e.EventId == 3005).Should().ContainSingle("the first change not saved is logged once");
    }

    [Fact]
    public async Task FolderReleasedButReplacedByAFile_SaysSoOnce_ThenTakesTheFolderWhenItIsOneAgain()
    {
        var collector = new StorageCollector { Up = true };
        var logs = new RecordingLoggerFactory();
        var first = NewClient(collector);
        await using var second = NewClient(collector, o =>
        {
            o.LoggerFactory = logs;
            o.SessionMode = SessionMode.RequireScope;
        });
        logs.Entries.Count(e => e.EventId == HeldByOther).Should().Be(1);

        // The first client lets go, and a file takes the folder's place before the second one tries again.
        await first.DisposeAsync();
        System.IO.Directory.Delete(Directory, recursive: true);
        await File.WriteAllTextAsync(Directory, "not a folder");

        await DriveUntilAsync(() => logs.Entries.Any(e => e.EventId == TakeOverWaits), Step);
        for (var i = 0; i < 5; i++)
        {
            Time.Advance(DurableQueue.TakeOverInterval);
            await Task.Delay(20);
        }

        logs.Entries.Where(e => e.EventId == TakeOverWaits).Should().ContainSingle("the cause is logged once, not at every try")
            .Which.Message.Should().Contain("names a file, not a folder");
        logs.Entries.Should().NotContain(e => e.EventId == TakenOver);

        // Meanwhile memory delivers.
        UpdateCustomerNumbers(second, 0, 2);
        var flush = second.FlushAsync();
        await DriveUntilAsync(() => flush.IsCompleted, Step);
        collector.Numbers.Should().BeEquivalentTo([0L, 1L]);

        // The folder can be used again: the client takes it and its later messages go through it.
        File.Delete(Directory);
        await DriveUntilAsync(() => logs.Entries.Any(e => e.EventId == TakenOver), Step);
        collector.Up = false;
        UpdateCustomerNumbers(second, 2, 3);

        // Waited for on the client's own count: the loader, polled meanwhile, deleted the segment the writer had just made
        // (no record in it yet), and the client then lost the three records written to it as damaged (event 4004).
        await DriveUntilAsync(() => second.Durable!.Pending == 3, Step);
        SegmentLoader.Load(Directory, long.MaxValue).Segments.Sum(s => s.Pending).Should().Be(3, "the later messages are written to the folder");

        collector.Up = true;
        flush = second.FlushAsync();
        await DriveUntilAsync(() => flush.IsCompleted && second.Statistics.Delivered == 5, Step);
        collector.Numbers.Should().BeEquivalentTo([0L, 1L, 2L, 3L, 4L]);
        ShouldBeBalanced(second.Statistics);
    }

    /// <param name="inFlight">
    /// <see langword="false"/>: the service is down, so memory's messages wait between tries, staged; <see langword="true"/>:
    /// it takes the requests and never answers, so 8 of them are in flight at shutdown (abandoned, then written).
    /// </param>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task MessagesSentFromMemoryWhileTheFolderWasHeld_ServiceNotTakingThem_AreWrittenToTheFolderAtShutdown(bool inFlight)
    {
        var collector = new StorageCollector { Up = inFlight, Hang = inFlight };
        var logs = new RecordingLoggerFactory();
        var first = NewClient(collector);
        var second = NewClient(collector, o =>
        {
            o.LoggerFactory = logs;
            o.SessionMode = SessionMode.RequireScope;
            // One message per request, so that 8 requests hang at once right away. With the default batch size all 20
            // messages go in one request, and 8 are in flight only after its 10 min (fake) timeout: ~2,500 steps of the
            // clock, which take 20-30 s of the 30 s real-time bound of DriveUntilAsync.
            o.MaxBatchSize = 1;
        });

        // Held by the first client: the second sends from memory, and the service does not take them.
        UpdateCustomerNumbers(second, 0, 20);
        await DriveUntilAsync(() => collector.Attempts >= (inFlight ? GrowlyticsOptions.DefaultBatchConcurrency : 1), Step);
        await first.DisposeAsync();
        await DriveUntilAsync(() => logs.Entries.Any(e => e.EventId == TakenOver), Step);

        // The folder is the second client's now: what memory still holds goes to it at shutdown, not with the process.
        var shutdown = second.ShutdownAsync();
        await DriveUntilAsync(() => shutdown.IsCompleted, Step);
        await shutdown;
        await ShouldHaveKeptNumbersInTheFolderAsync(second, collector, 20, Step);
    }

    [Fact]
    public async Task AfterATakeOverLongAgo_ServiceUp_ShutdownStillDeliversWhatIsQueued()
    {
        var collector = new StorageCollector { Up = true };
        var logs = new RecordingLoggerFactory();
        var first = NewClient(collector);
        var second = NewClient(collector, o =>
        {
            o.LoggerFactory = logs;
            o.SessionMode = SessionMode.RequireScope;
        });

        // While the first client holds the folder, the second sends from memory; later it takes the folder over.
        UpdateCustomerNumbers(second, 0, 2);
        var flush = second.FlushAsync();
        await DriveUntilAsync(() => flush.IsCompleted, Step);
        collector.Numbers.Should().BeEquivalentTo([0L, 1L]);
        await first.DisposeAsync();
        await DriveUntilAsync(() => logs.Entries.Any(e => e.EventId == TakenOver), Step);

        // No memory message is in a request at shutdown: nothing is abandoned, and the shutdown delivers as usual.
        UpdateCustomerNumbers(second, 2, 10);
        var shutdown = second.ShutdownAsync();
        await DriveUntilAsync(() => shutdown.IsCompleted, Step);
        await shutdown;
        second.Statistics.Delivered.Should().Be(12, "the service is up: pending {0}", second.Statistics.Pending);
        collector.Numbers.Should().BeEquivalentTo(Enumerable.Range(0, 12).Select(n => (long)n));
    }
}
