using System.Net;
using GrowlyticsSdk.Tests.TestSupport;

namespace GrowlyticsSdk.Tests.Delivery;

/// <summary>
/// A user's next request is written while the one before it is on the wire, and goes out only once that one's answer
/// says every message was delivered; any other answer puts it back, in order. Every test holds the first request (1, 2)
/// on the wire until the second (3, 4) is written.
/// </summary>
public sealed class WriteAheadTests
{
    [Fact]
    public async Task Send_TheFirstRequestDelivered_TheWrittenRequestGoesOutAfterIt()
    {
        await using var h = new DeliveryHarness(o => o.MaxBatchSize = 2);
        var gate = await HoldTheFirstRequestAsync(h);
        h.Requests.Should().ContainSingle("the user's next request waits for the answer to the first");

        gate.SetResult(new HttpResponseMessage(HttpStatusCode.OK));
        await h.FlushAsync();

        h.Requests.Select(r => r.Numbers.ToArray()).Should().BeEquivalentTo(new[] { new long[] { 1, 2 }, [3, 4] }, o => o.WithStrictOrdering());
        h.Client.Dispatcher.WrittenAheadSent.Should().Be(1);
        h.Client.Dispatcher.WrittenAheadWaiting.Should().Be(0);
        h.AssertBalanced().Delivered.Should().Be(4);
    }

    [Fact]
    public async Task Send_TheWrittenRequestSentSoonAfterItWasWritten_UsesTheBodyCompressedAhead()
    {
        await using var h = new DeliveryHarness(o =>
        {
            o.MaxBatchSize = 2;
            o.FlushInterval = TimeSpan.FromMilliseconds(10);
        });
        var gate = await HoldTheFirstRequestAsync(h, step: TimeSpan.FromMilliseconds(1));

        // The clock stands still from here: the written request goes out well within PreparedRequest.MaxAge.
        gate.SetResult(new HttpResponseMessage(HttpStatusCode.OK));
        await h.FlushAsync(step: TimeSpan.Zero);

        h.Requests.Select(r => string.Join(",", r.Numbers)).Should().Equal("1,2", "3,4");
        h.Client.Dispatcher.PreparedSent.Should().Be(1);
        h.AssertBalanced().Delivered.Should().Be(4);
    }

    [Fact]
    public async Task Send_TheFirstRequestDeliveredWhileTheWrittenRequestIsStillBuilt_ItGoesOutOnceBuilt()
    {
        using var building = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        await using var h = new DeliveryHarness(o =>
        {
            o.MaxBatchSize = 2;
            o.FlushInterval = TimeSpan.FromMilliseconds(10);
            o.BeforeBuildAhead = () =>
            {
                building.Set();
                release.Wait(DeliveryHarness.RealTimeout);
            };
        });
        try
        {
            var gate = await HoldTheFirstRequestAsync(h, step: TimeSpan.FromMilliseconds(1));
            building.Wait(DeliveryHarness.RealTimeout).Should().BeTrue("the written request is built on a pool thread");

            gate.SetResult(new HttpResponseMessage(HttpStatusCode.OK));
            await DeliveryHarness.WaitUntilAsync(() => h.Client.Dispatcher.WrittenAheadSent == 1);
            h.Requests.Should().ContainSingle("the written request waits for its build, not the loop");
        }
        finally
        {
            release.Set();
        }

        await h.FlushAsync(step: TimeSpan.Zero);
        h.Requests.Select(r => string.Join(",", r.Numbers)).Should().Equal("1,2", "3,4");
        h.Client.Dispatcher.PreparedSent.Should().Be(1);
        h.AssertBalanced().Delivered.Should().Be(4);
    }

    [Fact]
    public async Task Send_TheFirstRequestRejectedWhileTheWrittenRequestIsStillBuilt_ItGoesBackWithoutWaitingForTheBuild()
    {
        using var building = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        var builds = 0;
        var firstBuildEnded = false;
        await using var h = new DeliveryHarness(o =>
        {
            o.MaxBatchSize = 2;
            o.BeforeBuildAhead = () =>
            {
                if (Interlocked.Increment(ref builds) == 1)
                {
                    building.Set();
                    release.Wait(DeliveryHarness.RealTimeout);
                    Volatile.Write(ref firstBuildEnded, true);
                }
            };
        });
        try
        {
            var gate = await HoldTheFirstRequestAsync(h);
            building.Wait(DeliveryHarness.RealTimeout).Should().BeTrue("the written request is built on a pool thread");

            // Put back and sent again, built by its attempt, while the first build is still held.
            gate.SetResult(new HttpResponseMessage(HttpStatusCode.BadRequest));
            await h.FlushAsync();
            Volatile.Read(ref firstBuildEnded).Should().BeFalse("nothing waited for the build");
            h.Requests.Select(r => (r.Status, string.Join(",", r.Numbers))).Should().Equal((400, "1,2"), (200, "3,4"));
            h.Client.Dispatcher.PreparedSent.Should().Be(0);
            h.Client.Dispatcher.WrittenAheadWaiting.Should().Be(0);
        }
        finally
        {
            release.Set();
        }

        // Later requests, written ahead and built as usual, carry their own messages.
        for (var n = 5; n <= 8; n++)
        {
            h.Push(n, "anon-a");
        }

        await h.FlushAsync();
        h.Requests.Skip(2).Select(r => string.Join(",", r.Numbers)).Should().Equal("5,6", "7,8");
        var stats = h.AssertBalanced();
        stats.Delivered.Should().Be(6);
        stats.DroppedByReason[DropReason.Rejected].Should().Be(2);
    }

    [Fact]
    public async Task Send_TheWrittenRequestSentLongAfterItWasWritten_IsBuiltAgainWithTheTimeItIsSent()
    {
        await using var h = new DeliveryHarness(o => o.MaxBatchSize = 2);
        var gate = await HoldTheFirstRequestAsync(h);
        h.Time.Advance(TimeSpan.FromSeconds(1));
        var answered = h.Time.GetUtcNow().ToUnixTimeMilliseconds();

        gate.SetResult(new HttpResponseMessage(HttpStatusCode.OK));
        await h.FlushAsync();

        h.Client.Dispatcher.WrittenAheadSent.Should().Be(1);
        h.Client.Dispatcher.PreparedSent.Should().Be(0, "a body compressed ahead goes only while its sentAt is recent");
        h.Requests[1].Body.GetProperty("sentAt").GetInt64().Should().BeGreaterThanOrEqualTo(answered);
        h.AssertBalanced().Delivered.Should().Be(4);
    }

    [Fact]
    public async Task Send_TheFirstRequestRetried_TheWrittenRequestWaitsForTheRetry()
    {
        await using var h = new DeliveryHarness(o => o.MaxBatchSize = 2);
        var gate = await HoldTheFirstRequestAsync(h);

        gate.SetResult(new HttpResponseMessage(HttpStatusCode.ServiceUnavailable));
        await h.FlushAsync();

        h.Requests.Select(r => (r.Status, string.Join(",", r.Numbers))).Should().Equal((503, "1,2"), (200, "1,2"), (200, "3,4"));
        h.Client.Dispatcher.WrittenAheadSent.Should().Be(1, "a retry inside the request keeps the written request waiting, not undone");
        h.AssertBalanced().Delivered.Should().Be(4);
    }

    [Fact]
    public async Task Send_TheFirstRequestRejected_TheWrittenRequestGoesBackAndIsSentAfterIt()
    {
        await using var h = new DeliveryHarness(o => o.MaxBatchSize = 2);
        var gate = await HoldTheFirstRequestAsync(h);

        gate.SetResult(new HttpResponseMessage(HttpStatusCode.BadRequest));
        await h.FlushAsync();

        h.Requests.Select(r => (r.Status, string.Join(",", r.Numbers))).Should().Equal((400, "1,2"), (200, "3,4"));
        h.Client.Dispatcher.WrittenAheadSent.Should().Be(0, "only a delivered request hands on to the written one");
        h.Client.Dispatcher.WrittenAheadWaiting.Should().Be(0);
        var stats = h.AssertBalanced();
        stats.Delivered.Should().Be(2);
        stats.DroppedByReason[DropReason.Rejected].Should().Be(2);
    }

    [Fact]
    public Task Send_TheFirstRequestKeptAfterItsRetries_GoesBackInFrontOfTheWrittenRequest() =>
        DeliveryHarness.WithStorageHeldByAnotherClientAsync(
            o =>
            {
                o.MaxBatchSize = 2;
                o.MaxRetryAttempts = 0;
                o.MaxRetryDelay = TimeSpan.FromSeconds(1);
            },
            async h =>
            {
                var gate = await HoldTheFirstRequestAsync(h);

                gate.SetResult(new HttpResponseMessage(HttpStatusCode.ServiceUnavailable));
                await h.FlushAsync();

                h.Requests.Select(r => (r.Status, string.Join(",", r.Numbers))).Should().Equal((503, "1,2"), (200, "1,2"), (200, "3,4"));
                h.AssertBalanced().Delivered.Should().Be(4);
            });

    [Fact]
    public async Task OptOut_WhileARequestIsWritten_TheWrittenRequestIsNeverSent()
    {
        await using var h = new DeliveryHarness(o => o.MaxBatchSize = 2);
        var gate = await HoldTheFirstRequestAsync(h);

        h.Client.OptOut();
        gate.TrySetResult(new HttpResponseMessage(HttpStatusCode.OK));
        await h.FlushAsync();

        h.Requests.SelectMany(r => r.Numbers).Should().NotContain([3, 4]);
        var stats = h.AssertBalanced();
        stats.Pending.Should().Be(0);
        stats.DroppedByReason[DropReason.OptedOut].Should().BeGreaterThanOrEqualTo(2, "the written request was dropped with everything held");
        h.Client.Dispatcher.WrittenAheadWaiting.Should().Be(0);
    }

    [Fact]
    public async Task DeleteLocalDataAsync_WhileARequestIsWritten_DropsItAndLaterCallsAreSent()
    {
        await using var h = new DeliveryHarness(o => o.MaxBatchSize = 2);
        var gate = await HoldTheFirstRequestAsync(h);

        await h.RunAsync(h.Client.DeleteLocalDataAsync());
        gate.TrySetResult(new HttpResponseMessage(HttpStatusCode.OK));
        h.Push(5, "anon-a");
        h.Push(6, "anon-a");
        await h.FlushAsync();

        var sent = h.Requests.SelectMany(r => r.Numbers).ToList();
        sent.Should().NotContain([3, 4]);
        sent.Should().ContainInOrder(5, 6);
        var stats = h.AssertBalanced();
        stats.Pending.Should().Be(0);
        stats.DroppedByReason[DropReason.OptedOut].Should().BeGreaterThanOrEqualTo(2);
        h.Accepted.SelectMany(r => r.Numbers).Should().Contain([5, 6]);
    }

    [Fact]
    public async Task ShutdownAsync_OutOfTimeWhileARequestIsWritten_CountsTheWrittenRequestAsUndelivered()
    {
        await using var h = new DeliveryHarness(o =>
        {
            o.MaxBatchSize = 2;
            o.ShutdownTimeout = TimeSpan.FromSeconds(1);
        });
        _ = await HoldTheFirstRequestAsync(h);

        await h.RunAsync(h.Client.ShutdownAsync());

        h.Requests.SelectMany(r => r.Numbers).Should().Equal(1, 2);
        var stats = h.AssertBalanced();
        stats.Pending.Should().Be(0);
        stats.DroppedByReason[DropReason.Shutdown].Should().Be(4, "the request on the wire and the one written after it were both cut off");
    }

    [Fact]
    public async Task Send_TheFirstRequestSplitAfter413AndDelivered_TheWrittenRequestGoesOutAfterBothHalves()
    {
        await using var h = new DeliveryHarness(o => o.MaxBatchSize = 2);
        var gate = await HoldTheFirstRequestAsync(h);

        gate.SetResult(new HttpResponseMessage(HttpStatusCode.RequestEntityTooLarge));
        await h.FlushAsync();

        h.Requests.Select(r => (r.Status, string.Join(",", r.Numbers))).Should().Equal((413, "1,2"), (200, "1"), (200, "2"), (200, "3,4"));
        h.Client.Dispatcher.WrittenAheadSent.Should().Be(1);
        h.AssertBalanced().Delivered.Should().Be(4);
    }

    [Fact]
    public async Task Send_KeyRefusedForAnotherUser_TheWrittenRequestIsDroppedUnsent()
    {
        await using var h = new DeliveryHarness(o => o.MaxBatchSize = 2);
        var gate = await HoldTheFirstRequestAsync(h);
        h.Responder = _ => Task.FromResult(new HttpResponseMessage(HttpStatusCode.Unauthorized));

        h.Push(5, "anon-b");
        var flush = h.Client.FlushAsync();
        await DeliveryHarness.WaitUntilAsync(() => h.Client.Statistics.DroppedByReason[DropReason.Unauthorized] == 3);
        h.Client.Dispatcher.WrittenAheadWaiting.Should().Be(0, "everything held when the key was refused is dropped, what was written ahead included");

        gate.SetResult(new HttpResponseMessage(HttpStatusCode.OK));
        await h.RunAsync(flush);
        h.Requests.SelectMany(r => r.Numbers).Should().BeEquivalentTo([1L, 2, 5], "3 and 4 were never sent");
        var stats = h.AssertBalanced();
        stats.Delivered.Should().Be(2, "the request on the wire was accepted");
        stats.Pending.Should().Be(0);
        h.Client.Dispatcher.WrittenAheadSent.Should().Be(0);
    }

    /// <summary>Pushes 1-4 for one user; holds the request with 1 and 2 on the wire until 3 and 4 are written.</summary>
    private static async Task<TaskCompletionSource<HttpResponseMessage>> HoldTheFirstRequestAsync(DeliveryHarness h, TimeSpan? step = null)
    {
        var gate = new TaskCompletionSource<HttpResponseMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        var first = 1;
        h.Responder = _ => Interlocked.Exchange(ref first, 0) == 1 ? gate.Task : Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK));
        for (var n = 1; n <= 4; n++)
        {
            h.Push(n, "anon-a");
        }

        // The clock moves so a loop that read 1-3 before 4 arrived sends what it has after a flush interval (4 is then
        // written ahead alone); it stands still once the next request is written. The first request is on the wire once
        // the collector has it.
        await h.AdvanceUntilAsync(() => h.Client.Dispatcher.WrittenAheadWaiting == 1, step);
        await DeliveryHarness.WaitUntilAsync(() => h.Requests.Count == 1);
        return gate;
    }
}
