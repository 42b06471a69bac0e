using GrowlyticsSdk.Delivery;
using GrowlyticsSdk.Diagnostics;
using GrowlyticsSdk.Messages;
using GrowlyticsSdk.Threading;
using GrowlyticsSdk.Validation;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace GrowlyticsSdk.Tests.Delivery;

/// <summary>With storage, the writer is woken before a call is refused for room the request bodies took.</summary>
public sealed class RequestBytesStorageWakeTests
{
    [Fact]
    public void Enqueue_RequestBodiesHoldMostOfTheBytes_WakesTheStorageWriterBeforeDroppingForRoom()
    {
        var counters = new DeliveryCounters();
        var options = new GrowlyticsOptions
        {
            MaxQueueSize = 1_000_000,
            MaxQueueBytes = 1024 * 1024,
            TimeProvider = new FakeTimeProvider(),
        };
        var queue = new MessageQueue(options, 100, 500_000, counters, new WakeSignal(), NullLogger.Instance);
        var wakes = 0;
        var wakesAtFirstDrop = -1;
        queue.StorageWake = () => wakes++;

        // Requests read from disk waiting out a retry (a 503 storm) keep 80 % of the bound.
        queue.AddRequestBytes(options.MaxQueueBytes * 8 / 10);

        for (var i = 0; i < 5_000 && wakesAtFirstDrop < 0; i++)
        {
            queue.Enqueue(Message("value " + i));
            if (counters.GetDropped(DropReason.QueueFull) > 0)
            {
                wakesAtFirstDrop = wakes;
            }
        }

        wakesAtFirstDrop.Should().BeGreaterThan(0, "memory filled up (with the bodies) without the storage writer being woken: calls dropped QueueFull while the disk had room; messages held " + queue.EstimatedBytes);
    }

    private static UserMessage Message(string text) =>
        new(MessageType.Update, 1, DateTimeOffset.UnixEpoch, "anon", null, [new UserAttribute("text", text)]);
}
