using GrowlyticsSdk.Tests.TestSupport;
using Microsoft.Extensions.Time.Testing;

namespace GrowlyticsSdk.Tests.Reentrancy;

/// <summary>
/// The app's <see cref="TimeProvider"/> throws for a moment (its timestamps) while a <see cref="GrowlyticsClient.MessageDropped"/>
/// handler throws, or while a call is dropped at the call: the handler's fault is counted for its rate-limited line, and
/// the clock's fault reaches neither the app's call (<c>OptOut</c>, <c>DeleteLocalDataAsync</c>, <c>Push</c>) nor the
/// thread pool (where it ended the process); the handlers after the one that threw still hear of the drop.
/// </summary>
public sealed class ThrowingHandlerClockFaultTests
{
    private static readonly TimeSpan RealBound = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task OptOut_AHandlerThrowsWhileTheClockThrows_ReturnsAndTheNextHandlerHearsOfTheDrop()
    {
        var clock = new TimestampFaultClock();
        await using var h = new DeliveryHarness(o => o.Protocol = GrowlyticsProtocol.Rest, startDelivery: false, time: clock);
        long heard = 0;
        h.Client.MessageDropped += (_, _) => throw new InvalidOperationException("handler fault");
        h.Client.MessageDropped += (_, e) => Interlocked.Add(ref heard, e.Count);

        // Anonymous with REST: held for a login; the opt-out drops it and reports it on this thread.
        h.Client.User.Push(new Dictionary<string, object?> { ["plan"] = "free" });
        clock.Broken = true;
        var thrown = Record.Exception(h.Client.OptOut);
        clock.Broken = false;

        thrown.Should().BeNull("the clock's fault met while counting the handler's is not the app's call's");

        Interlocked.Read(ref heard).Should().Be(1, "the handler after the one that threw still hears of the drop");
        h.Client.IsOptedOut.Should().BeTrue();
        h.AssertBalanced().DroppedByReason[DropReason.OptedOut].Should().Be(1);
    }

    [Fact]
    public async Task DeleteLocalDataAsync_AHandlerThrowsWhileTheClockThrows_CompletesTheDeletion()
    {
        var clock = new TimestampFaultClock();
        await using var h = new DeliveryHarness(o => o.Protocol = GrowlyticsProtocol.Rest, startDelivery: false, time: clock);
        long heard = 0;
        h.Client.MessageDropped += (_, _) => throw new InvalidOperationException("handler fault");
        h.Client.MessageDropped += (_, e) => Interlocked.Add(ref heard, e.Count);
        h.Client.User.Push(new Dictionary<string, object?> { ["plan"] = "free" });
        var idBefore = h.Client.User.AnonymousId;

        // The held push's drop is reported on this thread, within the call.
        clock.Broken = true;
        var deletion = h.Client.DeleteLocalDataAsync();
        clock.Broken = false;

        (await Record.ExceptionAsync(() => deletion.WaitAsync(RealBound))).Should().BeNull("the deletion goes on past the handler's fault");
        Interlocked.Read(ref heard).Should().Be(1);
        h.Client.User.AnonymousId.Should().NotBe(idBefore);
        h.Log.WithId(7006).Should().ContainSingle("the deletion went on to its end");
        h.AssertBalanced().DroppedByReason[DropReason.OptedOut].Should().Be(1);
    }

    [Fact]
    public async Task SummedReport_AHandlerThrowsWhileTheClockThrows_TheNextHandlerHearsOfTheDropAndTheProcessGoesOn()
    {
        var clock = new TimestampFaultClock();
        await using var h = new DeliveryHarness(o => o.MaxQueueSize = 1, startDelivery: false, time: clock);
        using var broken = new ManualResetEventSlim();
        var entered = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        long heard = 0;
        h.Client.MessageDropped += (_, _) =>
        {
            // On the report's pool thread: throws once the clock is broken.
            entered.TrySetResult(true);
            broken.Wait(RealBound);
            throw new InvalidOperationException("handler fault");
        };
        h.Client.MessageDropped += (_, e) => Interlocked.Add(ref heard, e.Count);

        // The queue holds one: the second call is dropped (QueueFull) and reported, summed, on a pool thread.
        h.PushMany(2);
        await entered.Task.WaitAsync(RealBound);
        clock.Broken = true;
        broken.Set();
        await h.Client.DropsReportedAsync().WaitAsync(RealBound);
        clock.Broken = false;

        Interlocked.Read(ref heard).Should().Be(1, "the handler after the one that threw still hears of the drop");
        h.Client.Statistics.DroppedByReason[DropReason.QueueFull].Should().Be(1);
    }

    [Fact]
    public async Task Push_DroppedForAFullQueueWhileTheClockThrows_DoesNotThrow()
    {
        var clock = new TimestampFaultClock();
        await using var h = new DeliveryHarness(o => o.MaxQueueSize = 1, startDelivery: false, time: clock);
        h.Push(0);

        clock.Broken = true;
        var thrown = Record.Exception(() => h.Push(1));
        clock.Broken = false;

        thrown.Should().BeNull("a drop at the call is counted, and its warning waits for the clock");

        h.Push(2);
        var stats = h.AssertBalanced();
        stats.DroppedByReason[DropReason.QueueFull].Should().Be(2);
        await h.CallLinesWrittenAsync();
        h.Log.WithId(2001).Select(e => e.Fields["Count"]).Should().Equal([2L], "the drop met while the clock threw is counted in the next line");
    }

    // A fake clock whose timestamps throw while Broken (its wall clock and timers still work).
    private sealed class TimestampFaultClock() : FakeTimeProvider(DeliveryHarness.Start)
    {
        private volatile bool _broken;

        public bool Broken
        {
            get => _broken;
            set => _broken = value;
        }

        public override long GetTimestamp() =>
            _broken ? throw new InvalidOperationException("The test clock is broken for a moment.") : base.GetTimestamp();
    }
}
