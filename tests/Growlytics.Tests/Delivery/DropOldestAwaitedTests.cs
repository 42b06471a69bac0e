using GrowlyticsSdk.Delivery;
using GrowlyticsSdk.Diagnostics;
using GrowlyticsSdk.Messages;
using GrowlyticsSdk.Tests.TestSupport;
using GrowlyticsSdk.Threading;
using GrowlyticsSdk.Validation;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace GrowlyticsSdk.Tests.Delivery;

/// <summary>
/// <see cref="QueueOverflowPolicy.DropOldest"/> never drops an update <see cref="GrowlyticsCustomers.UpdateAsync(string, IReadOnlyDictionary{string, object?}, CancellationToken)"/>
/// queued: it waited for room instead of being dropped, and its caller was told it was accepted. While one is the oldest
/// unread message, a fire-and-forget call that finds the queue full is dropped itself, as under
/// <see cref="QueueOverflowPolicy.DropNewest"/>.
/// </summary>
public sealed class DropOldestAwaitedTests
{
    [Fact]
    public async Task DropOldest_AwaitedUpdatesQueued_ALaterFireAndForgetCallIsDroppedInstead()
    {
        await using var h = new DeliveryHarness(
            o =>
            {
                o.MaxQueueSize = 2;
                o.QueueOverflowPolicy = QueueOverflowPolicy.DropOldest;
            },
            startDelivery: false);

        await h.Client.Customers.UpdateAsync("job-1", new Dictionary<string, object?> { ["n"] = 1L });
        await h.Client.Customers.UpdateAsync("job-2", new Dictionary<string, object?> { ["n"] = 2L });
        h.Client.Customers.Update("web-1", new Dictionary<string, object?> { ["n"] = 3L });

        h.Client.Statistics.DroppedByReason[DropReason.QueueFull].Should().Be(1);
        h.Client.Dispatcher.Start();
        await h.FlushAsync();
        h.Accepted.SelectMany(r => r.Numbers).Should().BeEquivalentTo(new[] { 1L, 2L }, "the awaited updates were accepted; the later call is the one dropped");
        h.Client.Statistics.Delivered.Should().Be(2);
    }

    [Fact]
    public async Task Enqueue_DropOldest_DropsTheOldestFireAndForgetMessage_ButNotAnAwaitedOneBehindIt()
    {
        var counters = new DeliveryCounters();
        var options = new GrowlyticsOptions
        {
            MaxQueueSize = 2,
            QueueOverflowPolicy = QueueOverflowPolicy.DropOldest,
            TimeProvider = new FakeTimeProvider(),
        };
        var queue = new MessageQueue(options, 100, 500_000, counters, new WakeSignal(), NullLogger.Instance);

        queue.Enqueue(Message("fire-and-forget"));
        await queue.EnqueueAsync(Message("awaited"), CancellationToken.None);

        // The oldest is a fire-and-forget message: it makes room for the new one.
        queue.Enqueue(Message("new-1"));
        counters.GetDropped(DropReason.QueueFull).Should().Be(1);

        // Now the oldest is the awaited one: the new message is dropped instead.
        queue.Enqueue(Message("new-2"));
        counters.GetDropped(DropReason.QueueFull).Should().Be(2);

        queue.TryRead(out var first).Should().BeTrue();
        first.Attributes[0].Value.Should().Be("awaited");
        queue.TryRead(out var second).Should().BeTrue();
        second.Attributes[0].Value.Should().Be("new-1");
        queue.TryRead(out _).Should().BeFalse();
    }

    private static UserMessage Message(string text) =>
        new(MessageType.Update, 1, DateTimeOffset.UnixEpoch, "anon", null, [new UserAttribute("text", text)]);
}
