using GrowlyticsSdk.Diagnostics;

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
}
