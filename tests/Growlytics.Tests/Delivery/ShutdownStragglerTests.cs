using System.Net;
using GrowlyticsSdk.Tests.TestSupport;

namespace GrowlyticsSdk.Tests.Delivery;

/// <summary>
/// A call that passes the queue's refusal check just before shutdown, and adds its message after the shutdown swept memory
/// for the last time, is counted dropped (<see cref="DropReason.Shutdown"/>) as it arrives, not left pending for good.
/// </summary>
public sealed class ShutdownStragglerTests
{
    [Fact]
    public async Task Shutdown_CallQueuedAfterTheLastSweepOfMemory_IsCountedDroppedAsShutdown()
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

        // A full request on the wire, three more unread: the queue is full.
        h.PushMany(4);
        await DeliveryHarness.WaitUntilAsync(() => h.Requests.Count == 1);
        h.PushMany(3, from: 4);

        // The straggler passes the refusal check, drops the oldest unread message and is held in the queue-full log call.
        var straggler = Task.Run(() => h.Push(7, "anon-straggler"));
        log.Entered.Wait(TimeSpan.FromSeconds(10)).Should().BeTrue();

        // The client shuts down completely meanwhile; then the straggler queues its message.
        var shutdown = h.Client.ShutdownAsync();
        answer.SetResult(new HttpResponseMessage(HttpStatusCode.OK));
        await h.RunAsync(shutdown);
        log.Release.Set();
        await straggler;

        var statistics = h.AssertBalanced();
        (statistics.Enqueued, statistics.Delivered, statistics.Pending).Should().Be((8, 6, 0), "every accepted call is settled once the client has shut down");
        statistics.DroppedByReason[DropReason.Shutdown].Should().Be(1);
        statistics.DroppedByReason[DropReason.QueueFull].Should().Be(1);
    }
}
