using GrowlyticsSdk.Delivery;
using GrowlyticsSdk.Tests.TestSupport;
using Microsoft.Extensions.Time.Testing;

namespace GrowlyticsSdk.Tests.Delivery;

/// <summary>
/// A request written ahead is built on a pool thread: its attempt waits for the build, takes it once, and only while it
/// is recent; one that is put back or never sent is disposed, when its build ends if it is still running.
/// </summary>
public sealed class PreparedRequestTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 5, 10, 0, 0, TimeSpan.Zero));

    [Fact]
    public async Task TakeAsync_BuildStillRunning_WaitsForItAndTakesTheRequest()
    {
        var build = new TaskCompletionSource<HttpRequestMessage?>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var prepared = new PreparedRequest(build.Task, _time, _time.GetTimestamp());
        prepared.IsBuilding.Should().BeTrue();

        var take = prepared.TakeAsync();
        take.IsCompleted.Should().BeFalse("the build has not ended");
        using var request = NewRequest(out _);
        build.SetResult(request);

        (await take).Should().BeSameAs(request);
        prepared.Used.Should().BeTrue();
        prepared.IsBuilding.Should().BeFalse();
    }

    [Fact]
    public async Task TakeAsync_BuildStillRunningPastMaxAge_ReturnsNothingAtOnceAndDisposesTheRequestWhenBuilt()
    {
        var build = new TaskCompletionSource<HttpRequestMessage?>(TaskCreationOptions.RunContinuationsAsynchronously);
        var prepared = new PreparedRequest(build.Task, _time, _time.GetTimestamp());
        _time.Advance(PreparedRequest.MaxAge + TimeSpan.FromMilliseconds(1));

        var take = prepared.TakeAsync();
        take.IsCompleted.Should().BeTrue("a build that cannot be used any more is not waited for");
        (await take).Should().BeNull();

        var request = NewRequest(out var content);
        build.SetResult(request);
        await DeliveryHarness.WaitUntilAsync(() => content.Disposed);
        prepared.Used.Should().BeFalse();
    }

    [Fact]
    public async Task TakeAsync_Twice_OnlyTheFirstGetsTheRequest()
    {
        using var request = NewRequest(out _);
        using var prepared = new PreparedRequest(Task.FromResult<HttpRequestMessage?>(request), _time, _time.GetTimestamp());

        (await prepared.TakeAsync()).Should().BeSameAs(request);
        (await prepared.TakeAsync()).Should().BeNull("a request built ahead is used once");
    }

    [Fact]
    public async Task TakeAsync_BuiltLongerAgoThanMaxAge_DisposesItAndReturnsNothing()
    {
        var request = NewRequest(out var content);
        using var prepared = new PreparedRequest(Task.FromResult<HttpRequestMessage?>(request), _time, _time.GetTimestamp());
        _time.Advance(PreparedRequest.MaxAge + TimeSpan.FromMilliseconds(1));

        (await prepared.TakeAsync()).Should().BeNull("its sentAt would be too old: the attempt builds the request again");
        prepared.Used.Should().BeFalse();
        content.Disposed.Should().BeTrue();
    }

    [Fact]
    public async Task TakeAsync_WallClockMovedOnWhileTheMonotonicOneStoodStill_DisposesItAndReturnsNothing()
    {
        // A laptop that slept just after the request was built: on Linux and macOS the monotonic clock stands still while
        // the machine sleeps, the wall clock does not. Sent at once on waking, its sentAt would be hours old, and the
        // service's clock-skew correction (eventTimestamp + serverNow - sentAt) would put its events hours in the future.
        var clock = new Time.SteppedClock(_time);
        var request = NewRequest(out var content);
        using var prepared = new PreparedRequest(Task.FromResult<HttpRequestMessage?>(request), clock, clock.GetTimestamp());
        clock.Step = TimeSpan.FromHours(8);

        (await prepared.TakeAsync()).Should().BeNull("its sentAt is 8 hours behind the wall clock: the attempt builds the request again");
        prepared.Used.Should().BeFalse();
        content.Disposed.Should().BeTrue();
    }

    [Fact]
    public async Task TakeAsync_WallClockSetBackSinceTheBuild_DisposesItAndReturnsNothing()
    {
        var clock = new Time.SteppedClock(_time);
        var request = NewRequest(out var content);
        using var prepared = new PreparedRequest(Task.FromResult<HttpRequestMessage?>(request), clock, clock.GetTimestamp());
        clock.Step = TimeSpan.FromMinutes(-5);

        (await prepared.TakeAsync()).Should().BeNull("its sentAt is 5 minutes ahead of the wall clock now");
        content.Disposed.Should().BeTrue();
    }

    [Fact]
    public async Task TakeAsync_BuildEndedWithNothing_ReturnsNothing()
    {
        using var prepared = new PreparedRequest(Task.FromResult<HttpRequestMessage?>(null), _time, _time.GetTimestamp());

        (await prepared.TakeAsync()).Should().BeNull();
        prepared.Used.Should().BeFalse();
    }

    [Fact]
    public async Task Dispose_WhileBuilding_DisposesTheRequestWhenTheBuildEnds()
    {
        var build = new TaskCompletionSource<HttpRequestMessage?>(TaskCreationOptions.RunContinuationsAsynchronously);
        var prepared = new PreparedRequest(build.Task, _time, _time.GetTimestamp());
        var request = NewRequest(out var content);

        prepared.Dispose();
        content.Disposed.Should().BeFalse("the build has not ended");
        build.SetResult(request);
        await prepared.Built;

        // Disposed once the build ends (here on the pool: the build's task runs its continuations asynchronously).
        await DeliveryHarness.WaitUntilAsync(() => content.Disposed);
        (await prepared.TakeAsync()).Should().BeNull("a disposed request is never taken");
    }

    [Fact]
    public async Task Dispose_AfterTheRequestWasTaken_LeavesItToTheAttempt()
    {
        using var request = NewRequest(out var content);
        var prepared = new PreparedRequest(Task.FromResult<HttpRequestMessage?>(request), _time, _time.GetTimestamp());
        (await prepared.TakeAsync()).Should().BeSameAs(request);

        prepared.Dispose();
        await prepared.Built;

        content.Disposed.Should().BeFalse("the attempt that took it disposes it");
    }

    private static HttpRequestMessage NewRequest(out TrackedContent content)
    {
        content = new TrackedContent();
        return new HttpRequestMessage(HttpMethod.Post, "https://collector.example/events") { Content = content };
    }

    private sealed class TrackedContent : ByteArrayContent
    {
        public TrackedContent()
            : base([1, 2, 3])
        {
        }

        public bool Disposed { get; private set; }

        protected override void Dispose(bool disposing)
        {
            Disposed = true;
            base.Dispose(disposing);
        }
    }
}
