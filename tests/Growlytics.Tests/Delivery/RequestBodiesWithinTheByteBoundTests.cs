using System.Net;
using GrowlyticsSdk.Tests.TestSupport;

namespace GrowlyticsSdk.Tests.Delivery;

/// <summary>
/// <see cref="GrowlyticsOptions.MaxQueueBytes"/> counts the bodies of the requests on their way with the messages: a
/// request waiting out a retry keeps its body, so while the service fails, the bodies held leave less room for new calls
/// (they took memory beyond the bound: several times it with long values).
/// </summary>
public sealed class RequestBodiesWithinTheByteBoundTests
{
    private const int MaxQueueBytes = 256 * 1024;
    private static readonly string Text = new('x', 500);

    [Fact]
    public async Task Push_WhileRequestsWaitOutTheirRetries_TheirBodiesCountTowardTheByteBound()
    {
        long perMessage;
        await using (var probe = new DeliveryHarness(startDelivery: false))
        {
            probe.Push(1_000, "anon-0", Text);
            perMessage = probe.Client.Queue.EstimatedBytes;
        }

        await using var h = new DeliveryHarness(o =>
        {
            o.MaxBatchSize = 10;
            o.MaxQueueSize = 100_000;
            o.MaxQueueBytes = MaxQueueBytes;
        })
        {
            // Every request fails; the clock does not move, so each waits out its first retry for as long as the test runs.
            Responder = _ => Task.FromResult(new HttpResponseMessage(HttpStatusCode.ServiceUnavailable)),
        };

        // 100 updates of 100 users (about a third of the bound), all of them in requests that wait: sent and failed, waiting
        // out a retry, or refused by the circuit once it opened, waiting for it to close.
        for (var i = 0; i < 100; i++)
        {
            h.Push(1_000 + i, "anon-" + i, Text);
        }

        await DeliveryHarness.WaitUntilAsync(() => h.Requests.Count > 0 && h.Client.Queue.RequestBytes >= 100 * Text.Length);

        // More calls until the first is refused for room.
        var n = 2_000;
        while (h.Client.Statistics.DroppedByReason[DropReason.QueueFull] == 0 && n < 3_000)
        {
            h.Push(n, "anon-" + n, Text);
            n++;
        }

        h.Client.Statistics.DroppedByReason[DropReason.QueueFull].Should().Be(1);
        var messages = h.Client.Queue.EstimatedBytes;
        (messages + perMessage).Should().BeLessThanOrEqualTo(MaxQueueBytes, "the messages alone still had room: the request bodies held took the rest");
        (messages + h.Client.Queue.RequestBytes + perMessage).Should().BeGreaterThan(MaxQueueBytes);
    }
}
