#if !GROWLYTICS_LIBRARY_NETSTANDARD
using System.Runtime.InteropServices;
using GrowlyticsSdk.Storage;

namespace GrowlyticsSdk.Tests.Storage;

/// <summary>
/// The facade's handler of a signal that ends the process (Ctrl+C, SIGTERM, SIGHUP; .NET 10 and later) with messages in
/// memory only: a client that sent from memory while another client held its folder, then took the folder over. The
/// process usually ends when the handler returns, without a shutdown, so what memory holds must be in the folder by then,
/// as a shutdown would have written it. The net8.0 build's only: the netstandard2.0 build has no signal handlers.
/// </summary>
public sealed class ExitSignalAfterTakeOverTests : StorageTestBase
{
    private const int TakenOver = 4012;
    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(250);

    /// <param name="inFlight">
    /// <see langword="false"/>: the service is down, so memory's messages wait between tries, staged; <see langword="true"/>:
    /// it takes the requests and never answers, so 8 of them are in flight when the signal comes.
    /// </param>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task MessagesSentFromMemoryWhileTheFolderWasHeld_ServiceNotTakingThem_AreInTheFolderWhenTheHandlerReturns(bool inFlight)
    {
        var collector = new StorageCollector { Up = inFlight, Hang = inFlight };
        var logs = new RecordingLoggerFactory();
        var first = NewClient(collector);
        var second = NewClient(collector, o =>
        {
            o.LoggerFactory = logs;
            o.SessionMode = SessionMode.RequireScope;
            o.MaxBatchSize = 1;
        });
        UpdateCustomerNumbers(second, 0, 20);
        await DriveUntilAsync(() => collector.Attempts >= (inFlight ? GrowlyticsOptions.DefaultBatchConcurrency : 1), Step);
        await first.DisposeAsync();
        await DriveUntilAsync(() => logs.Entries.Any(e => e.EventId == TakenOver), Step);

        var handler = Task.Run(() => Growlytics.FlushOnSignal(second, new PosixSignalContext(PosixSignal.SIGTERM)));
        await DriveUntilAsync(() => handler.IsCompleted, Step);
        await handler;

        // The process ends here, memory with it: the next start sends what the folder holds.
        SegmentLoader.Load(Directory, long.MaxValue).Segments.Sum(s => s.Pending).Should().Be(20, "what memory held is written to the folder before the handler returns");
        second.IsShutDown.Should().BeFalse("another handler may keep the process running");
        logs.Entries.Where(e => e.EventId == 2019).Should().ContainSingle().Which.Message.Should().Contain("20 message(s) still pending");

        // Had the process gone on, the client sends them from the folder, once: the shutdown keeps them there, and the next
        // start delivers each of them once.
        await ShutDownDrivingAsync(second, Step);
        await ShouldHaveKeptNumbersInTheFolderAsync(second, collector, 20, Step);
    }
}
#endif
