using System.Net;
using GrowlyticsSdk.Tests.TestSupport;

namespace GrowlyticsSdk.Tests.Reentrancy;

/// <summary>
/// A <see cref="GrowlyticsClient.MessageDropped"/> handler that records each drop with the client itself ("track drops as
/// analytics"): while the client refuses every call (opted out, shut down), the handler's own call is dropped too. Its drop
/// is counted, but must not raise the handler again, and again, for ever on a pool thread.
/// </summary>
public sealed class DropHandlerThatPushesTests
{
    private static readonly TimeSpan RealBound = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task AHandlerThatPushes_WhileOptedOut_IsNotRaisedAgainForItsOwnDrops()
    {
        await using var h = new DeliveryHarness();
        long calls = 0;
        h.Client.MessageDropped += (_, e) =>
        {
            if (Interlocked.Increment(ref calls) < 1_000)
            {
                h.Client.User.Push(new Dictionary<string, object?> { ["dropped"] = e.Count });
            }
        };
        h.Client.OptOut();

        h.Push(1);
        await DeliveryHarness.WaitUntilAsync(() => h.Client.Statistics.DroppedByReason[DropReason.OptedOut] >= 2);
        await h.Client.DropsReportedAsync().WaitAsync(RealBound);

        Interlocked.Read(ref calls).Should().Be(1, "the app's drop is reported; the handler's own drop is counted, not reported back to it");
        var stats = h.AssertBalanced();
        stats.DroppedByReason[DropReason.OptedOut].Should().Be(2, "both calls are counted");
    }

    [Fact]
    public async Task AHandlerThatPushes_AfterTheShutdown_LetsTheReportsEnd()
    {
        var h = new DeliveryHarness(o => o.MaxQueueSize = 4, startDelivery: false);
        long calls = 0;
        long reported = 0;
        h.Client.MessageDropped += (_, e) =>
        {
            Interlocked.Add(ref reported, e.Count);
            if (Interlocked.Increment(ref calls) < 1_000)
            {
                h.Client.User.Push(new Dictionary<string, object?> { ["dropped"] = e.Count });
            }
        };

        h.PushMany(6);
        await h.Client.DropsReportedAsync().WaitAsync(RealBound);
        await h.RunAsync(h.Client.ShutdownAsync());
        h.Client.User.Push(new Dictionary<string, object?> { ["late"] = 1 });
        await h.Client.DropsReportedAsync().WaitAsync(RealBound);

        Interlocked.Read(ref calls).Should().BeLessThan(10, "the handler's own dropped pushes are not reported back to it");
        var stats = h.AssertBalanced();
        Interlocked.Read(ref reported).Should().Be(stats.Dropped - Interlocked.Read(ref calls), "every drop but the handler's own calls (one per call of it) is reported");
        await h.DisposeAsync();
    }

    [Fact]
    public async Task AHandlerThatPushes_AfterTheKeyWasRefused_IsNotRaisedAgainForItsOwnDrops()
    {
        await using var h = new DeliveryHarness();
        h.Responder = _ => Task.FromResult(new HttpResponseMessage(HttpStatusCode.Unauthorized));
        long calls = 0;
        h.Client.MessageDropped += (_, e) =>
        {
            if (Interlocked.Increment(ref calls) < 1_000)
            {
                h.Client.Customers.Update("ops", new Dictionary<string, object?> { ["droppedFor"] = e.Reason.ToString() });
            }
        };

        h.PushMany(3);
        await h.FlushAsync();
        await h.Client.DropsReportedAsync().WaitAsync(RealBound);

        var stats = h.AssertBalanced();
        stats.DroppedByReason[DropReason.Unauthorized].Should().BeGreaterThanOrEqualTo(3);
        Interlocked.Read(ref calls).Should().BeLessThan(50, "the refused messages are reported; the handler's own calls, refused at the call once the key is refused, are not reported back to it");
    }
}
