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
        using var gate = new QueueAddGate();
        await using var h = new DeliveryHarness(o =>
        {
            o.MaxBatchSize = 4;
            o.BeforeQueueAdd = gate.BeforeAdd;
        });
        var answer = new TaskCompletionSource<HttpResponseMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        h.Responder = r => r.Index == 1 ? answer.Task : Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK));

        // A full request goes out and waits for its answer; two more wait unread.
        h.PushMany(4);
        await DeliveryHarness.WaitUntilAsync(() => h.Requests.Count == 1);
        h.PushMany(2, from: 4);

        // The next call is accepted and held before it adds its message.
        gate.Arm();
        var straggler = Task.Run(() => h.Push(6));
        gate.Entered.Wait(DeliveryHarness.RealTimeout).Should().BeTrue();

        // The key is refused: everything held is dropped; then the held call goes on and queues its message.
        answer.SetResult(new HttpResponseMessage(HttpStatusCode.Unauthorized));
        await DeliveryHarness.WaitUntilAsync(() => h.Client.Statistics.DroppedByReason[DropReason.Unauthorized] == 6);
        gate.Release.Set();
        await straggler;

        await h.RunAsync(h.Client.FlushAsync());

        h.Time.GetUtcNow().Should().BeBefore(DeliveryHarness.Start + TimeSpan.FromMinutes(1), "the flush does not wait for the key retry ({0})", Dispatcher.KeyRetryInterval);
        var statistics = h.AssertBalanced();
        (statistics.Enqueued, statistics.Pending, statistics.Delivered).Should().Be((7, 0, 0));
        statistics.DroppedByReason[DropReason.Unauthorized].Should().Be(7, "the straggler is dropped like every message held when the key was refused");
        h.Requests.Should().ContainSingle("nothing is sent while the key is refused");
    }
}
