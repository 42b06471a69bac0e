#if !GROWLYTICS_LIBRARY_NETSTANDARD
using System.Runtime.InteropServices;

namespace GrowlyticsSdk.Tests.Storage;

/// <summary>
/// The facade's handler of a signal that ends the process (.NET 10 and later) writes what memory holds to the folder, and
/// the process goes on (another handler cancelled the signal after it, or the process simply does not end): delivery
/// goes on from the folder, each message delivered once, the figures balanced.
/// </summary>
public sealed class ExitSignalThenRunningOnTests : StorageTestBase
{
    private const int TakenOver = 4012;
    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(250);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ExitSignalAfterATakeOver_ProcessGoesOn_DeliversEachMessageOnceFromTheFolder(bool inFlight)
    {
        var collector = new StorageCollector { Up = inFlight, Hang = inFlight };
        var logs = new RecordingLoggerFactory();
        var first = NewClient(collector);
        await using var second = NewClient(collector, o =>
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

        // The process goes on, and the service comes back. Requests still hanging end only at their timeout (10 minutes in
        // these tests): 5 s steps get there in 120 steps. With the 250 ms steps above (2,400) this wait took 22-25 s of its
        // 30 s on an idle machine.
        collector.Hang = false;
        collector.Up = true;
        var flush = second.FlushAsync();
        await DriveUntilAsync(() => flush.IsCompleted && second.Statistics.Pending == 0, TimeSpan.FromSeconds(5), () => $"pending {second.Statistics.Pending}");

        var statistics = second.Statistics;
        ShouldBeBalanced(statistics);
        statistics.Delivered.Should().Be(20);
        statistics.Dropped.Should().Be(0);
        collector.Messages.Select(m => m.N).Should().OnlyHaveUniqueItems("no message is sent twice");
        collector.Numbers.Should().BeEquivalentTo(Enumerable.Range(0, 20).Select(n => (long)n));
    }
}
#endif
