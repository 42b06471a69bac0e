using System.Net;
using GrowlyticsSdk.Tests.TestSupport;

namespace GrowlyticsSdk.Tests.Delivery;

/// <summary>
/// A flush counts the unread messages it waits for. With <see cref="QueueOverflowPolicy.DropOldest"/> a later call may
/// drop one of them (the oldest unread) from the queue: settled as dropped there, it must not leave the flush waiting for
/// a message that comes after it (here, a later user's request the service keeps failing).
/// </summary>
public sealed class FlushWithDropOldestTests
{
    [Fact]
    public async Task Flush_AMessageItCountedIsDroppedForALaterCall_CompletesWithoutWaitingForThatLaterCall()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var h = new DeliveryHarness(o =>
        {
            // One message per request; a queue of 8, of which delivery takes out 2 at most (a quarter).
            o.MaxBatchSize = 1;
            o.MaxQueueSize = 8;
            o.QueueOverflowPolicy = QueueOverflowPolicy.DropOldest;
        });
        h.Responder = async request =>
        {
            if (request.Numbers.Contains(99))
            {
                // The later call's user: the service fails it, so it waits for a retry on the (unmoving) fake clock.
                return new HttpResponseMessage(HttpStatusCode.ServiceUnavailable);
            }

            await gate.Task;
            return new HttpResponseMessage(HttpStatusCode.OK);
        };

        for (var i = 0; i < 8; i++)
        {
            h.Push(i, "anon-" + i.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        // Two requests held on the wire, six messages unread in the queue, which is full.
        await DeliveryHarness.WaitUntilAsync(() => h.Requests.Count == 2 && h.Client.Queue.Unread == 6);
        var flush = h.Client.FlushAsync();

        // After the flush: the queue is full, so the oldest unread message (one the flush waits for) is dropped for it.
        h.Push(99, "anon-later");
        h.Client.Statistics.DroppedByReason[DropReason.QueueFull].Should().Be(1);

        gate.SetResult();

        // Everything accepted before the flush is settled (7 delivered, 1 dropped) without the clock moving; only the
        // later call waits for its retry.
        await DeliveryHarness.WaitUntilAsync(() => h.Client.Statistics.Delivered == 7);
        var completed = await Task.WhenAny(flush, Task.Delay(TimeSpan.FromSeconds(3))) == flush;
        completed.Should().BeTrue("every message accepted before the flush is delivered or dropped; the flush must not wait for a later call's retries");
        await flush;
        h.Accepted.SelectMany(r => r.Numbers).Should().BeEquivalentTo(new long[] { 0, 1, 3, 4, 5, 6, 7 });
        h.AssertBalanced();
    }
}
