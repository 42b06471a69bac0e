using GrowlyticsSdk.Diagnostics;
using GrowlyticsSdk.Tests.TestSupport;
using Microsoft.Extensions.Logging;

namespace GrowlyticsSdk.Tests.Delivery;

/// <summary>
/// A snapshot read while a message is between two counters is read again until its figures balance; an imbalance that
/// lasts is reported as it is, so a counting fault still shows.
/// </summary>
public sealed class StatisticsSnapshotTests
{
    [Fact]
    public void Snapshot_MessageCaughtBetweenTwoCounters_ReadsAgainUntilTheFiguresBalance()
    {
        var counters = new DeliveryCounters();
        counters.AddEnqueued(3);
        counters.AddDelivered(1);
        counters.AddDropped(DropReason.QueueFull, 1);
        var reads = 0;

        // Counted delivered, and still pending in its source for the first two reads.
        var statistics = counters.Snapshot(() => ++reads <= 2 ? 2 : 1);

        reads.Should().Be(3);
        (statistics.Enqueued, statistics.Delivered, statistics.Dropped, statistics.Pending).Should().Be((3, 1, 1, 1));
        statistics.DroppedByReason[DropReason.QueueFull].Should().Be(1);
    }

    [Fact]
    public void Snapshot_ImbalanceThatLasts_IsReportedAsItIsAfterABoundedNumberOfReads()
    {
        var counters = new DeliveryCounters();
        counters.AddEnqueued(3);
        var reads = 0;

        var statistics = counters.Snapshot(() =>
        {
            reads++;
            return 5;
        });

        reads.Should().Be(DeliveryCounters.SnapshotAttempts);
        (statistics.Enqueued, statistics.Pending).Should().Be((3, 5), "a counting fault is not hidden");
    }

    [Fact]
    public void Snapshot_HeldPushes_CountAsEnqueuedAndPending()
    {
        var counters = new DeliveryCounters();
        counters.AddHeld(2);
        var reads = 0;

        var statistics = counters.Snapshot(() =>
        {
            reads++;
            return 0;
        });

        reads.Should().Be(1, "the figures balance at the first read");
        (statistics.Enqueued, statistics.Pending).Should().Be((2, 2));
    }

    [Fact]
    public async Task Statistics_WhileACallThatDroppedTheOldestLogsTheFullQueue_Balance()
    {
        var log = new QueueFullLogThatWaits();
        await using var h = new DeliveryHarness(
            o =>
            {
                o.MaxQueueSize = 3;
                o.QueueOverflowPolicy = QueueOverflowPolicy.DropOldest;
                o.LoggerFactory = log;
            },
            startDelivery: false);
        h.PushMany(3);

        // The fourth call drops the oldest message and logs the full queue; the logger is slow.
        var call = Task.Run(() => h.Push(3));
        log.Entered.Wait(DeliveryHarness.RealTimeout).Should().BeTrue();
        try
        {
            var statistics = h.Client.Statistics;
            (statistics.Enqueued, statistics.Dropped, statistics.Pending).Should().Be((4, 1, 3), "the call's message is queued before it logs");
        }
        finally
        {
            log.Release.Set();
            await call;
        }
    }

    /// <summary>A logger whose first queue-full line (event 2001) waits until released.</summary>
    private sealed class QueueFullLogThatWaits : ILoggerFactory, ILogger
    {
        private int _waited;

        public ManualResetEventSlim Entered { get; } = new();

        public ManualResetEventSlim Release { get; } = new();

        public ILogger CreateLogger(string categoryName) => this;

        public void AddProvider(ILoggerProvider provider)
        {
        }

        public void Dispose()
        {
        }

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (eventId.Id == 2001 && Interlocked.Exchange(ref _waited, 1) == 0)
            {
                Entered.Set();
                Release.Wait(DeliveryHarness.RealTimeout);
            }
        }
    }
}
