using System.Net;
using GrowlyticsSdk.Tests.TestSupport;

namespace GrowlyticsSdk.Tests.Delivery;

/// <summary>
/// The lines of calls dropped or refused at the call (event 2001: the queue full; event 2011: refused, here after the
/// shutdown) are written at most once every 10 s, with a count since the line before: a call a tick short of 10 s after
/// the line waits for the next one, which comes 10 s after it.
/// </summary>
public sealed class CallRefusalIntervalTests
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task QueueFull_ATickShortOfTheIntervalAfterTheLine_WaitsForTheNextOne_TheIntervalAfterItIsWrittenWithIt()
    {
        await using var h = new DeliveryHarness(o => o.MaxQueueSize = 3);

        // The first message waits on the wire; two more fill the queue; every later one is dropped QueueFull.
        var gate = new TaskCompletionSource<HttpResponseMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        h.Responder = r => r.Index == 1 ? gate.Task : Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK));
        h.Push(0);
        _ = h.Client.FlushAsync();
        await DeliveryHarness.WaitUntilAsync(() => h.Requests.Count == 1);
        h.PushMany(2, from: 1);

        await DropAtATickShortAndAtTheIntervalAsync(h, 2001, () => h.Push(10, text: DeliveryHarness.SecretValue));
        h.Client.Statistics.DroppedByReason[DropReason.QueueFull].Should().Be(3);
        gate.SetResult(new HttpResponseMessage(HttpStatusCode.OK));
        await h.FlushAsync();
        h.AssertBalanced().Delivered.Should().Be(3);
    }

    [Fact]
    public async Task RefusedAfterShutdown_ATickShortOfTheIntervalAfterTheLine_WaitsForTheNextOne_TheIntervalAfterItIsWrittenWithIt()
    {
        await using var h = new DeliveryHarness();
        await h.Client.ShutdownAsync().WaitAsync(DeliveryHarness.RealTimeout);

        await DropAtATickShortAndAtTheIntervalAsync(h, 2011, () => h.Push(1, text: DeliveryHarness.SecretValue));
        h.AssertBalanced().DroppedByReason[DropReason.Shutdown].Should().Be(3);
    }

    // A call at the clock's time, one a tick short of the interval later, one at the interval: two lines, 1 and 2 calls.
    private static async Task DropAtATickShortAndAtTheIntervalAsync(DeliveryHarness h, int eventId, Action call)
    {
        call();
        h.Time.Advance(Interval - TimeSpan.FromTicks(1));
        call();
        await h.CallLinesWrittenAsync();
        h.Log.WithId(eventId).Should().ContainSingle($"event {eventId} is written at most once every 10 s")
            .Which.Fields["Count"].Should().Be(1L);

        h.Time.Advance(TimeSpan.FromTicks(1));
        call();
        await h.CallLinesWrittenAsync();
        h.Log.WithId(eventId).Select(e => e.Fields["Count"]).Should().Equal([1L, 2L], "10 s after the line before, the next call is logged with those since");
    }
}
