using System.Net;
using GrowlyticsSdk.Tests.TestSupport;

namespace GrowlyticsSdk.Tests.Delivery;

/// <summary>
/// A flush waits for a target: the messages read so far plus those still unread. A call counts its message unread
/// before the message is in the queue, so a reader can never take it and count it read first: the unread count, and a
/// flush's target with it, may be too high for a moment, never too low.
/// </summary>
public sealed class FlushCountWhileAddingTests
{
    [Fact]
    public async Task Flush_WhileACallIsBetweenBeingCountedAndQueued_WaitsForItsMessage()
    {
        var gate = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var h = new DeliveryHarness();
        h.Responder = async _ =>
        {
            await gate.Task;
            return new HttpResponseMessage(HttpStatusCode.OK);
        };
        using var inAdd = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        var armed = 1;
        h.Client.Queue.WhileAdding = () =>
        {
            if (Interlocked.Exchange(ref armed, 0) == 1)
            {
                inAdd.Set();
                release.Wait(DeliveryHarness.RealTimeout);
            }
        };

        var push = Task.Run(() => h.Push(1));
        try
        {
            await DeliveryHarness.WaitUntilAsync(() => inAdd.IsSet);

            // The loop turns meanwhile, at its fill timer. Had the message been in the queue before it was counted, the
            // loop would read it now and count it read, and the flush below would count one message too few.
            for (var i = 0; i < 30; i++)
            {
                h.Time.Advance(TimeSpan.FromMilliseconds(200));
                await Task.Delay(5);
            }

            var flush = h.Client.FlushAsync();
            release.Set();
            await push;

            // Its request is sent and held: the flush waits for it.
            await h.AdvanceUntilAsync(() => h.Requests.Count >= 1);
            for (var i = 0; i < 30; i++)
            {
                h.Time.Advance(TimeSpan.FromMilliseconds(200));
                await Task.Delay(5);
            }

            flush.IsCompleted.Should().BeFalse("the call was accepted before the flush, and its request is not answered yet");
            gate.SetResult(true);
            await h.RunAsync(flush);
            h.Client.Statistics.Delivered.Should().Be(1);
        }
        finally
        {
            release.Set();
            gate.TrySetResult(true);
            await push;
        }

        h.AssertBalanced();
    }
}
