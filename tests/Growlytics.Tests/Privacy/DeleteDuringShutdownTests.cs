using System.Net;
using GrowlyticsSdk.Tests.TestSupport;

namespace GrowlyticsSdk.Tests.Privacy;

/// <summary><see cref="GrowlyticsClient.DeleteLocalDataAsync"/> racing a shutdown whose deadline has passed.</summary>
public sealed class DeleteDuringShutdownTests
{
    [Fact]
    public async Task DeleteLocalDataAsync_MadeAsTheShutdownDeadlinePasses_CompletesWhenTheClientHasShutDown()
    {
        await using var h = new DeliveryHarness(o => o.ShutdownTimeout = TimeSpan.Zero);
        using var inHandler = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        var first = 0;
        h.Client.MessageDropped += (_, _) =>
        {
            if (Interlocked.Exchange(ref first, 1) == 0)
            {
                // The delivery loop is held here, mid-turn, until the deletion and the shutdown are both under way.
                inHandler.Set();
                release.Wait(TimeSpan.FromSeconds(30));
            }
        };
        h.Responder = _ => Task.FromResult(new HttpResponseMessage(HttpStatusCode.UnprocessableEntity));
        h.Push(1);
        _ = h.Client.FlushAsync();
        inHandler.Wait(TimeSpan.FromSeconds(20)).Should().BeTrue();
        h.PushMany(3, from: 10);

        // Accepted before the shutdown began; the shutdown's deadline (0) passes before the loop's next turn, so the loop
        // ends without serving the deletion's request.
        var deletion = h.Client.DeleteLocalDataAsync();
        var shutdown = h.Client.ShutdownAsync();
        release.Set();
        await shutdown.WaitAsync(TimeSpan.FromSeconds(20));

        var finished = await Task.WhenAny(deletion, Task.Delay(TimeSpan.FromSeconds(10)));
        finished.Should().BeSameAs(deletion, "the shutdown completes a deletion its loop did not serve");
        await deletion;
        var stats = h.AssertBalanced();
        stats.Pending.Should().Be(0);
        (stats.DroppedByReason[DropReason.OptedOut] + stats.DroppedByReason[DropReason.Shutdown]).Should().Be(3, "the three queued messages were dropped once, by the deletion or the shutdown");
    }
}
