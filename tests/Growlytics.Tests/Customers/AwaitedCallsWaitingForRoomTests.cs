using GrowlyticsSdk.Delivery;
using GrowlyticsSdk.Diagnostics;
using GrowlyticsSdk.Messages;
using GrowlyticsSdk.Tests.TestSupport;
using GrowlyticsSdk.Threading;
using GrowlyticsSdk.Validation;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace GrowlyticsSdk.Tests.Customers;

/// <summary>
/// Calls to <see cref="GrowlyticsCustomers.UpdateAsync(string, IReadOnlyDictionary{string, object?}, CancellationToken)"/>
/// waiting for room: served in call order (only the first in line takes room, and a fire-and-forget call made meanwhile
/// does not take it ahead of them: it is dropped <see cref="DropReason.QueueFull"/>, the queue being full); one still
/// waiting when the client opts out is dropped <see cref="DropReason.OptedOut"/> even if the user opts back in before it
/// wakes.
/// </summary>
public sealed class AwaitedCallsWaitingForRoomTests
{
    // Opt-out then opt-in while an UpdateAsync waits: the docs say the waiting call is dropped (OptedOut).
    [Fact]
    public async Task EnqueueAsync_OptOutThenOptInWhileWaiting_WaitingCallIsDroppedOptedOut()
    {
        var (queue, counters) = NewQueue(maxCount: 1, maxBytes: 1024 * 1024);
        queue.Enqueue(Message("a"));
        var waiting = queue.EnqueueAsync(Message("b"), CancellationToken.None).AsTask();
        await Task.Delay(5);
        waiting.IsCompleted.Should().BeFalse();

        queue.Refuse(DropReason.OptedOut);
        queue.Accept(DropReason.OptedOut);

        // Room made after the opt-in: the call that waited through the opt-out is not queued (whenever it woke).
        queue.TryRead(out var first).Should().BeTrue();
        queue.Release(MessageSize.Estimate(first));
        await waiting.WaitAsync(TimeSpan.FromSeconds(10));

        queue.TryRead(out _).Should().BeFalse("a call still waiting for room when the client opts out completes, counted as dropped (OptedOut)");
        counters.GetDropped(DropReason.OptedOut).Should().Be(1);
    }

    [Fact]
    public async Task Client_OptOutThenOptInWhileUpdateAsyncWaits_UpdateIsNeverSent()
    {
        var sent = 0;
        for (var i = 0; i < 30; i++)
        {
            await using var h = new DeliveryHarness(o => o.MaxQueueSize = 1, startDelivery: false);
            h.Client.Customers.Update("c", new Dictionary<string, object?> { ["n"] = 1L });
            var waiting = h.Client.Customers.UpdateAsync("c", new Dictionary<string, object?> { ["n"] = 2L }).AsTask();
            await Task.Delay(10);
            waiting.IsCompleted.Should().BeFalse();

            h.Client.OptOut();
            h.Client.OptIn();
            h.Client.Dispatcher.Start();
            await h.RunAsync(waiting);
            await h.FlushAsync();
            if (h.Accepted.SelectMany(r => r.Numbers).Contains(2L))
            {
                sent++;
            }
        }

        sent.Should().Be(0, "the call was waiting when the user opted out: dropped (OptedOut), never sent");
    }

    // Two awaited updates of one customer, the second called after the first (both pending): the smaller gets in first.
    [Fact]
    public async Task EnqueueAsync_TwoWaitingCallsOfOneCustomer_QueuedInCallOrder()
    {
        var a = Message(new string('a', 4_000));
        var f = Message(new string('f', 1_000));
        var (queue, _) = NewQueue(maxCount: 1_000, maxBytes: MessageSize.Estimate(a) + MessageSize.Estimate(f));
        queue.Enqueue(a);
        queue.Enqueue(f);
        queue.Count.Should().Be(2);

        var first = queue.EnqueueAsync(Message(new string('x', 8_000)), CancellationToken.None).AsTask();
        var second = queue.EnqueueAsync(Message("y"), CancellationToken.None).AsTask();
        await Task.Delay(20);
        first.IsCompleted.Should().BeFalse();
        second.IsCompleted.Should().BeFalse();

        // The oldest (about 12 KB) leaves: room for the small one, not the large one.
        queue.TryRead(out var oldest).Should().BeTrue();
        queue.Release(MessageSize.Estimate(oldest));
        await Task.Delay(50);

        var order = new List<string>();
        while (!first.IsCompleted || !second.IsCompleted || queue.Unread > 0)
        {
            if (queue.TryRead(out var m))
            {
                var text = (string)m.Attributes[0].Value!;
                if (text.StartsWith('x') || text == "y")
                {
                    order.Add(text == "y" ? "y" : "x");
                }

                queue.Release(MessageSize.Estimate(m));
            }
            else
            {
                await Task.Delay(5);
            }
        }

        order.Should().Equal(["x", "y"], "one customer's updates arrive in call order");
    }

    // DropOldest: a fire-and-forget update called after a waiting UpdateAsync of the same customer goes ahead of it.
    [Fact]
    public async Task Client_DropOldest_FireAndForgetAfterWaitingUpdateAsync_ArrivesInCallOrder()
    {
        await using var h = new DeliveryHarness(
            o =>
            {
                o.MaxQueueSize = 1;
                o.QueueOverflowPolicy = QueueOverflowPolicy.DropOldest;
            },
            startDelivery: false);
        h.Client.Customers.Update("c", new Dictionary<string, object?> { ["n"] = 1L });
        var waiting = h.Client.Customers.UpdateAsync("c", new Dictionary<string, object?> { ["n"] = 2L }).AsTask();
        await Task.Delay(20);
        h.Client.Customers.Update("c", new Dictionary<string, object?> { ["n"] = 3L });

        h.Client.Dispatcher.Start();
        await h.RunAsync(waiting);
        await h.FlushAsync();

        var numbers = h.Accepted.SelectMany(r => r.Numbers).ToList();
        numbers.Should().BeInAscendingOrder("one customer's updates arrive in call order (got {0})", string.Join(",", numbers));
    }

    private static (MessageQueue Queue, DeliveryCounters Counters) NewQueue(int maxCount, long maxBytes)
    {
        var counters = new DeliveryCounters();
        var options = new GrowlyticsOptions { MaxQueueSize = maxCount, MaxQueueBytes = maxBytes, TimeProvider = new FakeTimeProvider() };
        return (new MessageQueue(options, 100, 500_000, counters, new WakeSignal(), NullLogger.Instance), counters);
    }

    private static UserMessage Message(string text) =>
        new(MessageType.Update, 1, DateTimeOffset.UnixEpoch, null, "c", [new UserAttribute("text", text)]);
}
