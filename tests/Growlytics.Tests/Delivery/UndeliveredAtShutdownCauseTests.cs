using GrowlyticsSdk.Tests.TestSupport;

namespace GrowlyticsSdk.Tests.Delivery;

/// <summary>
/// Event 2009 says what ended a shutdown's deliveries with messages left: the token passed to <c>ShutdownAsync</c> (a
/// host's stop budget spent) or <see cref="GrowlyticsOptions.ShutdownTimeout"/>. Both drop what is left as
/// <see cref="DropReason.Shutdown"/>, and they call for different changes; the line said neither.
/// </summary>
public sealed class UndeliveredAtShutdownCauseTests
{
    [Fact]
    public async Task ShutdownAsync_TokenCancelledWithARequestInFlight_EventSaysTheTokenEndedIt()
    {
        await using var h = HangingService(TimeSpan.FromMinutes(5));
        await RequestInFlightAsync(h);

        using var stop = new CancellationTokenSource();
        var shutdown = h.Client.ShutdownAsync(stop.Token);
        await stop.CancelAsync();
        await h.RunAsync(shutdown);

        // Long before ShutdownTimeout: the token ended it.
        (h.Time.GetUtcNow() - DeliveryHarness.Start).Should().BeLessThan(TimeSpan.FromMinutes(5));
        var line = ShouldHaveDroppedThreeAtShutdown(h);
        line.Text.Should().Contain("token passed to ShutdownAsync was cancelled").And.NotContain("ShutdownTimeout ran out");
    }

    [Fact]
    public async Task ShutdownAsync_ShutdownTimeoutRunsOutWithARequestInFlight_EventSaysTheTimeoutEndedIt()
    {
        await using var h = HangingService(TimeSpan.FromSeconds(3));
        await RequestInFlightAsync(h);

        using var stop = new CancellationTokenSource();
        await h.RunAsync(h.Client.ShutdownAsync(stop.Token));

        var line = ShouldHaveDroppedThreeAtShutdown(h);
        line.Text.Should().Contain("ShutdownTimeout ran out").And.NotContain("cancelled");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ShutdownAsync_NoTimeLeftInShutdownTimeout_EventSaysTheTimeoutEndedIt_WhetherOrNotTheTokenIsCancelled(bool tokenCancelled)
    {
        // A ShutdownTimeout of zero (or one the steps before the deliveries spent): the deadline ends them at once, whatever
        // the token; a token cancelled too (a host that spent its own stop budget) took no time from them.
        await using var h = HangingService(TimeSpan.Zero);
        await RequestInFlightAsync(h);

        using var stop = new CancellationTokenSource();
        if (tokenCancelled)
        {
            await stop.CancelAsync();
        }

        await h.RunAsync(h.Client.ShutdownAsync(stop.Token));

        var line = ShouldHaveDroppedThreeAtShutdown(h);
        line.Text.Should().Contain("ShutdownTimeout ran out").And.NotContain("with time left");
    }

    // A service that answers no request (until the test ends); a request's timeout far beyond the shutdown's.
    private static DeliveryHarness HangingService(TimeSpan shutdownTimeout)
    {
        var h = new DeliveryHarness(o =>
        {
            o.ShutdownTimeout = shutdownTimeout;
            o.RequestTimeout = TimeSpan.FromMinutes(10);
        });
        var never = new TaskCompletionSource<HttpResponseMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        h.Responder = _ => never.Task;
        return h;
    }

    // Three updates of the process-wide user: one request on the wire, never answered.
    private static async Task RequestInFlightAsync(DeliveryHarness h)
    {
        h.PushMany(3);
        _ = h.Client.FlushAsync();
        await DeliveryHarness.WaitUntilAsync(() => h.Requests.Count == 1);
    }

    private static DeliveryLog.Entry ShouldHaveDroppedThreeAtShutdown(DeliveryHarness h)
    {
        var stats = h.AssertBalanced();
        stats.DroppedByReason[DropReason.Shutdown].Should().Be(3);
        stats.Pending.Should().Be(0);
        var line = h.Log.WithId(2009).Should().ContainSingle().Subject;
        line.Fields["Count"].Should().Be(3L);
        return line;
    }
}
