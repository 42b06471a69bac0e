using System.Net;
using GrowlyticsSdk.Delivery;
using GrowlyticsSdk.Tests.TestSupport;

namespace GrowlyticsSdk.Tests.Delivery;

/// <summary>
/// A call that passes the queue's check just before the service refuses the key, and is queued after everything held was
/// dropped, is dropped as <see cref="DropReason.Unauthorized"/> too, at once: a flush does not wait for the key retry.
/// </summary>
public sealed class KeyRefusedStragglerTests
{
    [Fact]
    public async Task Flush_CallQueuedJustAfterTheKeyRefusalDroppedEverything_CompletesWithoutWaitingForTheKeyRetry()
    {
        var log = new BlockingQueueFullLog();
        await using var h = new DeliveryHarness(o =>
        {
            o.MaxBatchSize = 4;
            o.MaxQueueSize = 7;
            o.QueueOverflowPolicy = QueueOverflowPolicy.DropOldest;
            o.LoggerFactory = log;
        });
        var answer = new TaskCompletionSource<HttpResponseMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        h.Responder = r => r.Index == 1 ? answer.Task : Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK));

        // A full request goes out and waits for its answer; three more wait unread, and the queue is full.
        h.PushMany(4);
        await DeliveryHarness.WaitUntilAsync(() => h.Requests.Count == 1);
        h.PushMany(3, from: 4);

        // The next call passes the refusal check, drops the oldest unread message and is held in the queue-full log call.
        var straggler = Task.Run(() => h.Push(7));
        log.Entered.Wait(TimeSpan.FromSeconds(10)).Should().BeTrue();

        // The key is refused: everything held is dropped; then the held call goes on and queues its message.
        answer.SetResult(new HttpResponseMessage(HttpStatusCode.Unauthorized));
        await DeliveryHarness.WaitUntilAsync(() => h.Client.Statistics.DroppedByReason[DropReason.Unauthorized] == 6);
        log.Release.Set();
        await straggler;

        await h.RunAsync(h.Client.FlushAsync(), TimeSpan.FromSeconds(1));

        h.Time.GetUtcNow().Should().BeBefore(DeliveryHarness.Start + TimeSpan.FromMinutes(1), "the flush does not wait for the key retry ({0})", Dispatcher.KeyRetryInterval);
        var statistics = h.AssertBalanced();
        (statistics.Enqueued, statistics.Pending, statistics.Delivered).Should().Be((8, 0, 0));
        statistics.DroppedByReason[DropReason.Unauthorized].Should().Be(7, "the straggler is dropped like every message held when the key was refused");
        statistics.DroppedByReason[DropReason.QueueFull].Should().Be(1);
        h.Requests.Should().ContainSingle("nothing is sent while the key is refused");
    }
}
