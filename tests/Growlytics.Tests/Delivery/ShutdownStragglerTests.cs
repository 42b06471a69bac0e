using GrowlyticsSdk.Tests.TestSupport;

namespace GrowlyticsSdk.Tests.Delivery;

/// <summary>
/// A call that passes the queue's refusal check just before shutdown, and adds its message after the shutdown swept memory
/// for the last time, is counted dropped (<see cref="DropReason.Shutdown"/>) as it arrives, not left pending for good.
/// </summary>
public sealed class ShutdownStragglerTests
{
    [Fact]
    public async Task Shutdown_CallQueuedAfterTheLastSweepOfMemory_IsCountedDroppedAsShutdown()
    {
        using var gate = new QueueAddGate();
        await using var h = new DeliveryHarness(o => o.BeforeQueueAdd = gate.BeforeAdd);
        h.PushMany(2);
        await h.FlushAsync();

        // The next call is accepted and held before it adds its message; the client shuts down completely meanwhile.
        gate.Arm();
        var straggler = Task.Run(() => h.Push(2, "anon-straggler"));
        gate.Entered.Wait(DeliveryHarness.RealTimeout).Should().BeTrue();
        await h.RunAsync(h.Client.ShutdownAsync());

        // Then the call queues its message; it is dropped on the thread pool, outside the call.
        gate.Release.Set();
        await straggler;
        await DeliveryHarness.WaitUntilAsync(() => h.Client.Statistics.Pending == 0);

        var statistics = h.AssertBalanced();
        (statistics.Enqueued, statistics.Delivered, statistics.Pending).Should().Be((3, 2, 0), "every accepted call is settled once the client has shut down");
        statistics.DroppedByReason[DropReason.Shutdown].Should().Be(1);
    }
}
