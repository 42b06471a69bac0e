using System.Net;
using GrowlyticsSdk.Delivery;
using GrowlyticsSdk.Messages;
using GrowlyticsSdk.Tests.TestSupport;
using GrowlyticsSdk.Validation;

namespace GrowlyticsSdk.Tests.Delivery;

/// <summary>
/// A request written ahead (its user's next one, written while the one before it is on the wire) holds its body from
/// then on: that body counts toward <see cref="GrowlyticsOptions.MaxQueueBytes"/> as any request's on its way does, not
/// only once it starts.
/// </summary>
public sealed class WrittenAheadBodyWithinTheByteBoundTests
{
    // Updates of about 440 JSON bytes: 60 of them fill more than a quarter of a request's 64 KB buffer, which is kept.
    private static readonly string Text = new('x', 150);

    [Fact]
    public async Task WriteAhead_WhileTheRequestBeforeItIsHeld_ItsBodyCountsInQueuedBytes()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var h = new DeliveryHarness(
            o =>
            {
                o.MaxBatchSize = 60;
                o.MaxQueueBytes = 1024 * 1024;
            },
            startDelivery: false);
        h.Responder = async _ =>
        {
            await gate.Task;
            return new HttpResponseMessage(HttpStatusCode.OK);
        };

        for (var i = 0; i < 180; i++)
        {
            h.Push(i, "anon-a", Text);
        }

        var messagesOnly = h.Client.Statistics.QueuedBytes;
        h.Client.Dispatcher.Start();
        await DeliveryHarness.WaitUntilAsync(() => h.Requests.Count == 1 && h.Client.Dispatcher.WrittenAheadWaiting == 1);

        // The request on the wire keeps its 64 KB buffer, of which its messages' estimates hold about 26 KB; so does the one
        // written behind it (counted once written: WrittenAheadWaiting counts it after that).
        h.Client.Statistics.QueuedBytes.Should().BeGreaterThanOrEqualTo(
            messagesOnly + (2 * 30_000), "the body of the request written ahead is held too, and counts toward MaxQueueBytes");

        gate.SetResult();
        await h.FlushAsync();
        h.Client.Statistics.Delivered.Should().Be(180);
        h.Client.Statistics.QueuedBytes.Should().Be(0, "every body counted is given back");
        h.AssertBalanced();
    }

    [Fact]
    public async Task WriteAhead_QueueFilledBehindTwoHeldRequests_MessagesAndBothBodiesStayWithinTheBound()
    {
        // The first request is held; the one written behind it waits for it (the bound leaves room for both buffers: neither
        // is cut to an exact copy); calls then fill the queue. What is counted must include both bodies, so calls are
        // refused before the messages and the bodies together pass the bound.
        const int maxQueueBytes = 256 * 1024;
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var h = new DeliveryHarness(
            o =>
            {
                o.MaxBatchSize = 60;
                o.MaxQueueBytes = maxQueueBytes;
            },
            startDelivery: false);
        h.Responder = async _ =>
        {
            await gate.Task;
            return new HttpResponseMessage(HttpStatusCode.OK);
        };

        var n = 0;
        for (; n < 120; n++)
        {
            h.Push(n, "anon-a", Text);
        }

        h.Client.Dispatcher.Start();
        await DeliveryHarness.WaitUntilAsync(() => h.Requests.Count == 1 && h.Client.Dispatcher.WrittenAheadWaiting == 1);
        while (h.Client.Statistics.DroppedByReason[DropReason.QueueFull] == 0 && n < 2_000)
        {
            h.Push(n++, "anon-a", Text);
        }

        // Each of the two bodies keeps a 64 KB buffer (a quarter of it or more is written), of which its 60 messages'
        // estimates hold their JSON: the rest is memory the bound must count, once per body.
        var json = MessageSize.EstimateJson(new UserMessage(
            MessageType.Update, 1, DeliveryHarness.Start, "anon-a", null, [new UserAttribute("n", 1L), new UserAttribute("text", Text)]));
        var beyondMessages = (64 * 1024) - (60 * json);
        beyondMessages.Should().BeGreaterThan(30_000);
        (h.Client.Queue.EstimatedBytes + (2 * beyondMessages)).Should().BeLessThanOrEqualTo(
            maxQueueBytes, "calls are refused once the messages and both bodies reach the bound");
        h.Client.Statistics.QueuedBytes.Should().BeLessThanOrEqualTo(maxQueueBytes);

        gate.SetResult();
        await h.FlushAsync();
        h.AssertBalanced();
    }
}
