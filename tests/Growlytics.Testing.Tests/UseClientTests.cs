using GrowlyticsSdk.Testing;

namespace GrowlyticsSdk.Testing.Tests;

public sealed class UseClientTests
{
    [Fact]
    public async Task UseClient_TwoFlowsAtOnce_EachFacadeCallReachesItsOwnClient()
    {
        using var first = new GrowlyticsRecorder();
        using var second = new GrowlyticsRecorder();
        await using var firstClient = first.CreateClient(o => o.Protocol = GrowlyticsProtocol.Batch);
        await using var secondClient = second.CreateClient(o => o.Protocol = GrowlyticsProtocol.Batch);
        using var bothInside = new Barrier(2);

        await Task.WhenAll(
            Task.Run(() => RunFlow(firstClient, "u-first", bothInside)),
            Task.Run(() => RunFlow(secondClient, "u-second", bothInside)));
        await firstClient.FlushAsync();
        await secondClient.FlushAsync();

        first.Calls.Should().ContainSingle().Which.UserId.Should().Be("u-first");
        second.Calls.Should().ContainSingle().Which.UserId.Should().Be("u-second");
    }

    [Fact]
    public async Task UseClient_Disposed_RestoresThePreviousClientOfTheFlow()
    {
        using var recorder = new GrowlyticsRecorder();
        await using var outer = recorder.CreateClient();
        await using var inner = recorder.CreateClient();

        using (Growlytics.UseClient(outer))
        {
            using (Growlytics.UseClient(inner))
            {
                Growlytics.Client.Should().BeSameAs(inner);
            }

            Growlytics.Client.Should().BeSameAs(outer);
            Growlytics.IsInitialized.Should().BeTrue();
        }

        Growlytics.IsInitialized.Should().BeFalse("nothing in this test initialized the process-wide facade");
    }

    [Fact]
    public async Task UseClient_WithAClientAlreadyShutDown_IsNotInitializedAndCallsAreCountedDropped()
    {
        using var recorder = new GrowlyticsRecorder();
        var client = recorder.CreateClient(o => o.Protocol = GrowlyticsProtocol.Batch);
        await client.ShutdownAsync();

        using (Growlytics.UseClient(client))
        {
            Growlytics.IsInitialized.Should().BeFalse("the flow's client accepts no calls once its shutdown began");
            Growlytics.Client.Should().BeSameAs(client, "code running then is not failed, as with a client shutting down");
            Growlytics.User.Push(new Dictionary<string, object?> { ["plan"] = "pro" });
        }

        client.Statistics.Dropped.Should().Be(1, "a call on a shut-down client is counted dropped");
        recorder.Calls.Should().BeEmpty();
    }

    [Fact]
    public async Task UseClient_DisposedOutOfOrder_ReturnsToTheNearestOverrideStillOpenOrToNone()
    {
        using var recorder = new GrowlyticsRecorder();
        await using var a = recorder.CreateClient();
        await using var b = recorder.CreateClient();
        await using var c = recorder.CreateClient();

        var first = Growlytics.UseClient(a);
        var second = Growlytics.UseClient(b);
        var third = Growlytics.UseClient(c);

        second.Dispose();
        Growlytics.Client.Should().BeSameAs(c, "the innermost override is still open");
        third.Dispose();
        Growlytics.Client.Should().BeSameAs(a, "b's override was disposed first, so the flow skips it");
        first.Dispose();
        Growlytics.IsInitialized.Should().BeFalse("every override is disposed and nothing initialized the facade");

        var outer = Growlytics.UseClient(a);
        var inner = Growlytics.UseClient(b);
        outer.Dispose();
        inner.Dispose();
        Growlytics.IsInitialized.Should().BeFalse("the outer override was disposed before the inner one");
    }

    [Fact]
    public async Task ShutdownAsync_InsideUseClient_DeliversAndLeavesTheClientUsable()
    {
        using var recorder = new GrowlyticsRecorder();
        await using var client = recorder.CreateClient(o => o.Protocol = GrowlyticsProtocol.Batch);
        using var scope = Growlytics.UseClient(client);

        Growlytics.User.Identify("u-1");
        await Growlytics.ShutdownAsync();
        recorder.Calls.Should().ContainSingle();

        Growlytics.User.Push(new Dictionary<string, object?> { ["plan"] = "pro" });
        await client.FlushAsync();
        recorder.GetUserAttributes("u-1").Should().ContainKey("plan");
    }

    [Fact]
    public async Task ShutdownAsync_InsideUseClient_WithACancelledToken_ReturnsWithoutThrowing()
    {
        using var recorder = new GrowlyticsRecorder();
        await using var client = recorder.CreateClient(o => o.Protocol = GrowlyticsProtocol.Batch);
        using var scope = Growlytics.UseClient(client);

        // As the shutdown it stands in for: a cancelled token ends the attempt early, it does not fail the call.
        var act = async () => await Growlytics.ShutdownAsync(new CancellationToken(canceled: true));

        await act.Should().NotThrowAsync();

        // It only stood in for a shutdown: the test's client is still the flow's and still delivers.
        Growlytics.Client.Should().BeSameAs(client);
        Growlytics.User.Identify("u-1", new Dictionary<string, object?> { ["plan"] = "pro" });
        await client.FlushAsync();
        recorder.GetUserAttributes("u-1").Should().ContainKey("plan");
        client.Statistics.Dropped.Should().Be(0, "nothing was dropped as after a shutdown");
    }

    [Fact]
    public void UseClient_Null_Throws()
    {
        var act = () => Growlytics.UseClient(null!);

        act.Should().Throw<ArgumentNullException>();
    }

    private static void RunFlow(GrowlyticsClient client, string userId, Barrier bothInside)
    {
        using (Growlytics.UseClient(client))
        {
            // Both flows hold their override at the same time before either calls the facade.
            bothInside.SignalAndWait(TimeSpan.FromSeconds(10)).Should().BeTrue();
            Growlytics.User.Identify(userId);
        }
    }
}
