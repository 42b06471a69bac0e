#if !GROWLYTICS_LIBRARY_NETSTANDARD
using System.Runtime.InteropServices;
using GrowlyticsSdk.Storage;

namespace GrowlyticsSdk.Tests.Storage;

/// <summary>
/// Records the size bound drops from the folder while their request is on its way are counted when that request settles.
/// When the process is about to end before it does (an exit signal) or the shutdown abandons the request, what the logs
/// say is kept in the folder is what the folder holds: those records are not in it.
/// </summary>
public sealed class StorageBoundInFlightAtExitTests : StorageTestBase
{
    private const int PendingAtExitSignal = 2019;
    private const int ShutdownTotals = 2015;
    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(250);

    [Fact]
    public async Task ExitSignal_RecordsDroppedFromTheFolderWhileInARequest_AreNotReportedAsKeptInTheFolder()
    {
        var logs = new RecordingLoggerFactory();
        var (client, collector, hung) = await HangingRequestDroppedFromTheFolderAsync(logs);
        try
        {
            var handler = Task.Run(() => Growlytics.FlushOnSignal(client, new PosixSignalContext(PosixSignal.SIGTERM)));
            await DriveUntilAsync(() => handler.IsCompleted, Step);
            await handler;

            var inFolder = SegmentLoader.Load(Directory, long.MaxValue).Segments.Sum(s => s.Pending);
            var pending = client.Statistics.Pending;
            var notInFolder = pending - inFolder;
            notInFolder.Should().BePositive("records of the hanging request were dropped from the folder: {0} numbers in it", hung);

            var line = logs.Entries.Should().ContainSingle(e => e.EventId == PendingAtExitSignal).Subject.Message;
            line.Should().Contain($"{pending} message(s) still pending")
                .And.Contain($"but not {notInFolder} of them whose records a storage limit (MaxStorageBytes or MaxStorageAge) dropped from the folder", "those are not sent at the next start");
        }
        finally
        {
            await ShutDownDrivingAsync(client, Step);
        }

        // Once the process goes on to shut down, the abandoned request counts them, once, as the bound dropped them.
        var statistics = client.Statistics;
        ShouldBeBalanced(statistics);
        statistics.Pending.Should().Be(SegmentLoader.Load(Directory, long.MaxValue).Segments.Sum(s => s.Pending));
    }

    [Fact]
    public async Task Shutdown_AbandonsARequestWhoseRecordsTheBoundDropped_CountsThemStorageFullAndReportsWhatTheFolderKeeps()
    {
        var logs = new RecordingLoggerFactory();
        var (client, _, _) = await HangingRequestDroppedFromTheFolderAsync(logs);
        var fullBefore = client.Statistics.DroppedByReason[DropReason.StorageFull];
        await ShutDownDrivingAsync(client, Step);

        var statistics = client.Statistics;
        ShouldBeBalanced(statistics);
        var inFolder = SegmentLoader.Load(Directory, long.MaxValue).Segments.Sum(s => s.Pending);
        statistics.Pending.Should().Be(inFolder, "what is pending after the shutdown is what the folder keeps");
        statistics.DroppedByReason[DropReason.StorageFull].Should().BeGreaterThan(fullBefore, "the abandoned request's records were dropped from the folder");
        statistics.DroppedByReason[DropReason.Shutdown].Should().Be(0);
        logs.Entries.Should().ContainSingle(e => e.EventId == ShutdownTotals).Which.Message
            .Should().Contain($"{inFolder} pending (kept in the storage folder for the next start)");
    }

    // The service takes the first request and never answers it; calls go on until the bound drops the oldest segment,
    // which holds records of that request. Every later request hangs too.
    private async Task<(GrowlyticsClient Client, StorageCollector Collector, int Hung)> HangingRequestDroppedFromTheFolderAsync(RecordingLoggerFactory logs)
    {
        var hung = 0;
        var collector = new StorageCollector { Up = true };
        collector.HangWhen = numbers =>
        {
            Interlocked.Exchange(ref hung, numbers.Count);
            return true;
        };
        var client = NewClient(collector, o =>
        {
            o.LoggerFactory = logs;
            o.MaxStorageBytes = 64 * 1024;
            o.ShutdownTimeout = TimeSpan.FromSeconds(5);
        });
        PushNumbers(client, 0, 50);
        await DriveUntilAsync(() => collector.Hanging >= 1, Step);
        var oldest = SegmentFiles().First();
        await PushRoundsUntilAsync(client, 50, 50, () => !File.Exists(oldest), Step);
        await WrittenAsync(client);
        return (client, collector, Volatile.Read(ref hung));
    }
}
#endif
