using GrowlyticsSdk.Delivery;
using GrowlyticsSdk.Diagnostics;
using GrowlyticsSdk.Messages;
using GrowlyticsSdk.Threading;
using GrowlyticsSdk.Validation;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace GrowlyticsSdk.Tests.Delivery;

/// <summary>
/// <see cref="QueueOverflowPolicy.DropOldest"/> drops the oldest unread messages to make room for a new one; when even
/// all of them would not make room (the rest of the bound is held by messages already read: staged behind a retry, or in
/// flight), the new message is dropped and the unread ones are kept, not dropped for nothing.
/// </summary>
public sealed class DropOldestNoRoomTests
{
    [Fact]
    public void Enqueue_DropOldestCannotMakeRoomForALargeMessage_DropsOnlyTheNewMessage()
    {
        var counters = new DeliveryCounters();
        var options = new GrowlyticsOptions
        {
            MaxQueueSize = 1_000_000,
            MaxQueueBytes = 64 * 1024,
            QueueOverflowPolicy = QueueOverflowPolicy.DropOldest,
            TimeProvider = new FakeTimeProvider(),
        };
        var queue = new MessageQueue(options, 100, 500_000, counters, new WakeSignal(), NullLogger.Instance);

        // About 40 KB read by the dispatcher (in a request waiting for its retry): it stays counted until settled.
        queue.Enqueue(Message(new string('r', 20_000)));
        queue.TryRead(out _).Should().BeTrue();

        // Ten small unread messages.
        for (var i = 0; i < 10; i++)
        {
            queue.Enqueue(Message("small"));
        }

        // About 30 KB: does not fit beside the 40 KB read, whatever is dropped of the unread ones.
        queue.Enqueue(Message(new string('b', 15_000)));

        counters.GetDropped(DropReason.QueueFull).Should().Be(1, "only the message that cannot fit is dropped");
        queue.Count.Should().Be(11);
        queue.Unread.Should().Be(10);
    }

    private static UserMessage Message(string text) =>
        new(MessageType.Update, 1, DateTimeOffset.UnixEpoch, "anon", null, [new UserAttribute("text", text)]);
}
