using GrowlyticsSdk.Storage;

namespace GrowlyticsSdk.Tests.Storage;

/// <summary>
/// A client waiting to take over its folder is shut down just after a try that found the folder still held, and the
/// folder is released in between: the writer tries once more before it gives up, takes the folder over and loads what the
/// previous client left, so the shutdown delivers it instead of leaving it all for the next start.
/// </summary>
public sealed class ShutdownWhileTakingOverTests : StorageTestBase
{
    private const int TakenOver = 4012;
    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(250);

    [Fact]
    public async Task Shutdown_BeginsRightAfterATryFoundTheFolderHeld_TakesItOverAndDeliversWhatWasStored()
    {
        // The first client stores twenty messages (its collector is down) and holds the folder meanwhile.
        var first = await HoldingStoredNumbersAsync(20);

        // The second client's writer is held right after its first try, which finds the folder taken.
        using var writer = new HoldOnce();
        var collector = new StorageCollector { Up = true };
        var client = NewClient(collector, o => o.AfterTakeOverTry = took =>
        {
            if (!took)
            {
                writer.Hold();
            }
        });
        try
        {
            // The clock is moved on another thread: the writer's try runs in the clock's callback, and stays there while held.
            var driving = Task.Run(() => DriveUntilAsync(() => writer.WaitUntilHeld(TimeSpan.Zero), Step));
            writer.WaitUntilHeld(TimeSpan.FromSeconds(30)).Should().BeTrue();

            // The folder is released, then the shutdown begins, before the writer looks again. No fake timer fires while the
            // writer is held in the clock's callback: the first shutdown must not need one (bounded, so it fails, not hangs).
            await first.ShutdownAsync().WaitAsync(TimeSpan.FromSeconds(30));
            var shutdown = client.ShutdownAsync();
            await DriveUntilAsync(() => client.Durable!.IsStopping, TimeSpan.Zero);
            writer.Release();
            await driving;
            await DriveUntilAsync(() => shutdown.IsCompleted, Step);
            await shutdown;

            client.Statistics.Restored.Should().Be(20, "the writer took the folder over at shutdown");
            collector.Numbers.Should().BeEquivalentTo(Enumerable.Range(0, 20));
            client.Statistics.Delivered.Should().Be(20);
            ShouldBeBalanced(client.Statistics);
        }
        finally
        {
            writer.Release();
            await first.DisposeAsync();
            await client.DisposeAsync();
        }
    }

    /// <summary>
    /// The second client sends from memory while the first holds the folder, and the service does not take its messages.
    /// Its writer is held after a try that found the folder taken; the folder is released and the second client shut down
    /// before the writer looks again: the shutdown's last try takes the folder over, and what memory held is written to
    /// it, not dropped.
    /// </summary>
    /// <param name="inFlight">
    /// <see langword="false"/>: the service is down, so memory's messages wait between tries, staged; <see langword="true"/>:
    /// it takes the requests and never answers, so 8 of them are in flight at shutdown.
    /// </param>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Shutdown_FolderReleasedWhileWaiting_WritesWhatMemoryHeldToTheFolder(bool inFlight)
    {
        var collector = new StorageCollector { Up = inFlight, Hang = inFlight };
        var logs = new RecordingLoggerFactory();
        var first = NewClient(collector);
        using var writer = new HoldOnce();
        using var armed = new ManualResetEventSlim();
        var second = NewClient(collector, o =>
        {
            o.LoggerFactory = logs;
            o.SessionMode = SessionMode.RequireScope;
            // One message per request, so that 8 requests hang at once right away. With the default batch size all 20
            // messages go in one request, and 8 are in flight only after its 10 min (fake) timeout: ~2,500 steps of the
            // clock, which take 20-30 s of the 30 s real-time bound of DriveUntilAsync.
            o.MaxBatchSize = 1;
            o.AfterTakeOverTry = took =>
            {
                if (!took && armed.IsSet)
                {
                    writer.Hold();
                }
            };
        });
        try
        {
            UpdateCustomerNumbers(second, 0, 20);

            await DriveUntilAsync(() => collector.Attempts >= (inFlight ? GrowlyticsOptions.DefaultBatchConcurrency : 1), Step);

            // The next try finds the folder still held, and the writer stays there (the clock is moved on another thread:
            // the try runs in the clock's callback). The folder is released meanwhile and the shutdown begins.
            armed.Set();
            var driving = Task.Run(() => DriveUntilAsync(() => writer.WaitUntilHeld(TimeSpan.Zero), Step));
            writer.WaitUntilHeld(TimeSpan.FromSeconds(30)).Should().BeTrue();
            await first.ShutdownAsync().WaitAsync(TimeSpan.FromSeconds(30));
            var shutdown = second.ShutdownAsync();
            await DriveUntilAsync(() => second.Durable!.IsStopping, TimeSpan.Zero);
            logs.Entries.Should().NotContain(e => e.EventId == TakenOver, "the writer is held after a try that found the folder taken");
            writer.Release();
            await driving;
            await DriveUntilAsync(() => shutdown.IsCompleted, Step);
            await shutdown;

            logs.Entries.Should().Contain(e => e.EventId == TakenOver);
            await ShouldHaveKeptNumbersInTheFolderAsync(second, collector, 20, Step);
        }
        finally
        {
            writer.Release();
            await first.DisposeAsync();
            await second.DisposeAsync();
        }
    }

    /// <summary>
    /// REST, process-wide session: a push while anonymous is held for the login, in memory while the folder is another
    /// client's. Shut down once the folder is free (no fake time passes, so only the shutdown's last try can take it over),
    /// the client keeps the held push in its session file instead of counting it dropped, and the next start restores it.
    /// </summary>
    [Fact]
    public async Task Shutdown_FolderReleasedWhileWaiting_RestHeldPushKeptInTheSessionFile()
    {
        var collector = new StorageCollector { Up = true };
        var first = NewClient(collector, o => o.SessionMode = SessionMode.RequireScope);
        var logs = new RecordingLoggerFactory();
        var second = NewClient(collector, o =>
        {
            o.Protocol = GrowlyticsProtocol.Rest;
            o.LoggerFactory = logs;
        });
        try
        {
            second.User.Push(new Dictionary<string, object?> { ["city"] = "Pune" });
            second.Statistics.Pending.Should().Be(1);

            await first.ShutdownAsync().WaitAsync(TimeSpan.FromSeconds(30));
            logs.Entries.Should().NotContain(e => e.EventId == TakenOver, "no fake time passed, so the writer has not looked again");
            var shutdown = second.ShutdownAsync();
            await DriveUntilAsync(() => shutdown.IsCompleted, Step);
            await shutdown;

            logs.Entries.Should().Contain(e => e.EventId == TakenOver);
            second.Statistics.DroppedByReason[DropReason.Shutdown].Should().Be(0, "the folder was this client's by then");
            second.Statistics.Pending.Should().Be(1);

            await using var restarted = NewClient(collector, o => o.Protocol = GrowlyticsProtocol.Rest);
            restarted.Statistics.Pending.Should().Be(1, "the held push was kept in the session file");
            restarted.User.AnonymousId.Should().Be(second.User.AnonymousId);
        }
        finally
        {
            await first.DisposeAsync();
            await second.DisposeAsync();
        }
    }
}
