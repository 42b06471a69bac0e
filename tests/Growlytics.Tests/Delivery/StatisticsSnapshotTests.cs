using GrowlyticsSdk.Diagnostics;
using GrowlyticsSdk.Tests.TestSupport;

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

        // Fewer reads than the client's bound, past the spinning ones into the yielding ones: each yield of a busy core
        // can cost a scheduler slice, and the full bound took up to five minutes on a loaded 2-core machine.
        const int Attempts = 64;
        var statistics = counters.Snapshot(
            () =>
            {
                reads++;
                return 5;
            },
            Attempts);

        reads.Should().Be(Attempts);
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
        using var entered = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        await using var h = new DeliveryHarness(
            o =>
            {
                o.MaxQueueSize = 3;
                o.QueueOverflowPolicy = QueueOverflowPolicy.DropOldest;
            },
            startDelivery: false);

        // The logger is slow with the first queue-full line.
        var waited = 0;
        h.Log.BeforeLog = eventId =>
        {
            if (eventId == 2001 && Interlocked.Exchange(ref waited, 1) == 0)
            {
                entered.Set();
                release.Wait(DeliveryHarness.RealTimeout);
            }
        };
        h.PushMany(3);

        // The fourth call drops the oldest message and logs the full queue.
        var call = Task.Run(() => h.Push(3));
        entered.Wait(DeliveryHarness.RealTimeout).Should().BeTrue();
        try
        {
            var statistics = h.Client.Statistics;
            (statistics.Enqueued, statistics.Dropped, statistics.Pending).Should().Be((4, 1, 3), "the call's message is queued before it logs");
        }
        finally
        {
            release.Set();
            await call;
        }
    }

    [Fact]
    public void Snapshot_DroppedByReason_CannotBeChangedThroughACast()
    {
        var counters = new DeliveryCounters();
        var statistics = counters.Snapshot(() => 0);

        var asDictionary = statistics.DroppedByReason as IDictionary<DropReason, long>;
        asDictionary.Should().NotBeNull();
        var change = () => asDictionary![DropReason.QueueFull] = 5;

        change.Should().Throw<NotSupportedException>();
        statistics.DroppedByReason[DropReason.QueueFull].Should().Be(0);
        statistics.Dropped.Should().Be(0);
    }
}
