using System.Net;
using GrowlyticsSdk.Tests.TestSupport;

namespace GrowlyticsSdk.Tests.Delivery;

public sealed class MessageQueueTests
{
    [Theory]
    [InlineData(QueueOverflowPolicy.DropNewest, new long[] { 0, 1, 2 })]
    [InlineData(QueueOverflowPolicy.DropOldest, new long[] { 0, 5, 6 })]
    public async Task Enqueue_QueueFull_PolicyDecidesWhichMessagesSurvive(QueueOverflowPolicy policy, long[] survivors)
    {
        await using var h = new DeliveryHarness(o =>
        {
            // A batch never fills: the later pushes stay unread (DropOldest can reach them) until the flush.
            o.MaxBatchSize = 100;
            o.MaxQueueSize = 3;
            o.QueueOverflowPolicy = policy;
        });
        var gate = new TaskCompletionSource<HttpResponseMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        h.Responder = r => r.Index == 1 ? gate.Task : Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK));
        h.Push(0);
        _ = h.Client.FlushAsync();
        await DeliveryHarness.WaitUntilAsync(() => h.Requests.Count == 1);

        h.PushMany(6, from: 1);
        gate.SetResult(new HttpResponseMessage(HttpStatusCode.OK));
        await h.FlushAsync();

        // The bound counts every message held in memory, the one in flight included: 0 in flight leaves room for two.
        h.Accepted.SelectMany(r => r.Numbers).Should().Equal(survivors);
        var stats = h.AssertBalanced();
        stats.DroppedByReason[DropReason.QueueFull].Should().Be(4);
        stats.Delivered.Should().Be(3);
        stats.Enqueued.Should().Be(7);
    }

    [Theory]
    [InlineData(QueueOverflowPolicy.DropNewest)]
    [InlineData(QueueOverflowPolicy.DropOldest)]
    public async Task Enqueue_QueueKeepsOverflowing_LogsOncePerIntervalWithTheCount(QueueOverflowPolicy policy)
    {
        await using var h = new DeliveryHarness(o =>
        {
            o.MaxBatchSize = 100;
            o.MaxQueueSize = 3;
            o.QueueOverflowPolicy = policy;
            o.RequestTimeout = TimeSpan.FromMinutes(10);
        });
        var gate = new TaskCompletionSource<HttpResponseMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        h.Responder = r => r.Index == 1 ? gate.Task : Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK));
        h.Push(0);
        _ = h.Client.FlushAsync();
        await DeliveryHarness.WaitUntilAsync(() => h.Requests.Count == 1);
        h.PushMany(2, from: 1);

        h.PushMany(10, from: 10, text: DeliveryHarness.SecretValue);
        await h.CallLinesWrittenAsync();
        h.Log.WithId(2001).Select(e => e.Fields["Count"]).Should().Equal(1L);
        h.Time.Advance(TimeSpan.FromSeconds(11));
        h.Push(30);

        await h.CallLinesWrittenAsync();
        h.Log.WithId(2001).Select(e => e.Fields["Count"]).Should().Equal(1L, 10L);
        gate.SetResult(new HttpResponseMessage(HttpStatusCode.OK));
        await h.FlushAsync();
        h.AssertBalanced().DroppedByReason[DropReason.QueueFull].Should().Be(11);
    }
}
