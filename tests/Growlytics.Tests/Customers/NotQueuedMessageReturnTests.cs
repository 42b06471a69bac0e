using GrowlyticsSdk.Messages;
using GrowlyticsSdk.Tests.TestSupport;

namespace GrowlyticsSdk.Tests.Customers;

/// <summary>
/// A call's message that is not queued goes back to the calls' pool (<see cref="MessagePool"/>), as a delivered one does:
/// an <c>UpdateAsync</c> cancelled before the call or while it waits for room, one refused after shutdown or while opted
/// out, and an update dropped for a full queue. They were left to the collector, so a job whose calls were cancelled or
/// refused made a new message (and attribute array) for each later call. The unread message a call drops with
/// <see cref="QueueOverflowPolicy.DropOldest"/> goes back too.
/// </summary>
public sealed class NotQueuedMessageReturnTests
{
    [Fact]
    public async Task UpdateAsync_TokenCancelledBeforeTheCall_ThrowsAndTheMessageGoesBackToThePool()
    {
        var pool = new MessagePool();
        await using var h = new DeliveryHarness(o => o.MessagePool = pool);
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();

        var call = () => h.Client.Customers.UpdateAsync("c-1", Attributes(1), cancelled.Token).AsTask();

        await call.Should().ThrowAsync<OperationCanceledException>();
        (pool.KeptMessages, pool.KeptArrays(1)).Should().Be((1, 1), "the call took a message and its array, and queued neither");
        h.Client.Statistics.Enqueued.Should().Be(0);
    }

    [Fact]
    public async Task UpdateAsync_CancelledWhileWaitingForRoom_ThrowsAndTheMessageGoesBackToThePool()
    {
        var pool = new MessagePool();
        await using var h = new DeliveryHarness(o => { o.MessagePool = pool; o.MaxQueueSize = 1; }, startDelivery: false);
        h.Client.Customers.Update("c-1", Attributes(1));
        using var cancel = new CancellationTokenSource();

        // Runs up to its wait for room before it returns: the queue holds one message, its bound.
        var waiting = h.Client.Customers.UpdateAsync("c-2", Attributes(2), cancel.Token).AsTask();
        waiting.IsCompleted.Should().BeFalse();
        cancel.Cancel();

        await waiting.Invoking(t => t).Should().ThrowAsync<OperationCanceledException>();
        pool.KeptMessages.Should().Be(1, "the cancelled call's message was never queued; the queued one is not delivered yet");
        h.Client.Dispatcher.Start();
        await h.FlushAsync();
        h.Accepted.SelectMany(r => r.Numbers).Should().Equal(1L);
        pool.KeptMessages.Should().Be(2);
    }

    [Fact]
    public async Task UpdateAsync_AfterShutdown_CountedShutdown_AndTheMessageGoesBackToThePool()
    {
        var pool = new MessagePool();
        await using var h = new DeliveryHarness(o => o.MessagePool = pool);
        await h.RunAsync(h.Client.ShutdownAsync());

        await h.Client.Customers.UpdateAsync("c-1", Attributes(1));

        h.Client.Statistics.DroppedByReason.Should().ContainKey(DropReason.Shutdown).WhoseValue.Should().Be(1);
        pool.KeptMessages.Should().Be(1);
    }

    [Fact]
    public async Task UpdateAsync_WhileOptedOut_CountedOptedOut_AndTheMessageGoesBackToThePool()
    {
        var pool = new MessagePool();
        await using var h = new DeliveryHarness(o => o.MessagePool = pool);
        h.Client.OptOut();

        await h.Client.Customers.UpdateAsync("c-1", Attributes(1));

        h.Client.Statistics.DroppedByReason.Should().ContainKey(DropReason.OptedOut).WhoseValue.Should().Be(1);
        pool.KeptMessages.Should().Be(1);
    }

    [Fact]
    public async Task Update_DroppedForAFullQueue_TheMessageGoesBackToThePool()
    {
        var pool = new MessagePool();
        await using var h = new DeliveryHarness(o => { o.MessagePool = pool; o.MaxQueueSize = 1; }, startDelivery: false);

        h.Client.Customers.Update("c-1", Attributes(1));
        h.Client.Customers.Update("c-2", Attributes(2));

        h.Client.Statistics.DroppedByReason.Should().ContainKey(DropReason.QueueFull).WhoseValue.Should().Be(1);
        pool.KeptMessages.Should().Be(1, "the dropped call's message; the queued one is not delivered yet");
    }

    [Fact]
    public async Task Update_DropOldest_TheMessageDroppedForTheNewOneGoesBackToThePool_AndTheNewOnesAreSentWithTheirOwnValues()
    {
        var pool = new MessagePool();
        await using var h = new DeliveryHarness(
            o => { o.MessagePool = pool; o.MaxQueueSize = 1; o.QueueOverflowPolicy = QueueOverflowPolicy.DropOldest; },
            startDelivery: false);

        h.Client.Customers.Update("c-1", Attributes(1));
        h.Client.Customers.Update("c-2", Attributes(2));
        (pool.KeptMessages, pool.KeptArrays(1)).Should().Be((1, 1), "c-1's update was dropped for c-2's, which is not delivered yet");

        // The next call takes that message, and drops c-2's update, whose message goes back in its turn.
        h.Client.Customers.Update("c-3", Attributes(3));
        pool.KeptMessages.Should().Be(1);
        h.Client.Statistics.DroppedByReason.Should().ContainKey(DropReason.QueueFull).WhoseValue.Should().Be(2);

        h.Client.Dispatcher.Start();
        await h.FlushAsync();
        h.Accepted.SelectMany(r => r.Messages).Select(m => (m.GetProperty("userId").GetString(), DeliveryHarness.NumberOf(m)))
            .Should().Equal(("c-3", 3L));
        pool.KeptMessages.Should().Be(2);
        h.AssertBalanced();
    }

    [Fact]
    public async Task UpdateAsync_InvalidAndDropped_TakesNothingFromThePool()
    {
        var pool = new MessagePool();
        await using var h = new DeliveryHarness(o => { o.MessagePool = pool; o.InvalidInputHandling = InvalidInputHandling.Drop; });
        var tooLong = new string('c', 41);

        await h.Client.Customers.UpdateAsync(tooLong, Attributes(1));
        await h.Client.Customers.UpdateAsync("c-1", new Dictionary<string, object?> { ["n"] = new object() });

        (pool.KeptMessages, pool.KeptArrays(1)).Should().Be((0, 0), "an invalid call makes no message");
        h.Client.Statistics.InvalidInputs.Should().Be(2);
    }

    private static Dictionary<string, object?> Attributes(long n) => new() { ["n"] = n };
}
