using System.Net;
using GrowlyticsSdk.Tests.TestSupport;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace GrowlyticsSdk.Tests.Delivery;

public sealed class DeliveryLoopTests
{
    [Fact]
    public async Task Push_MaxBatchSizeMessages_SendsOneBatchWithoutTimePassing()
    {
        await using var h = new DeliveryHarness(o => o.MaxBatchSize = 10);

        h.PushMany(10);
        await DeliveryHarness.WaitUntilAsync(() => h.Requests.Count == 1 && h.Requests[0].Status == 200);

        h.Requests[0].At.Should().Be(DeliveryHarness.Start);
        h.Requests[0].Numbers.Should().Equal(Enumerable.Range(0, 10).Select(i => (long)i));
        h.Client.Statistics.Delivered.Should().Be(10);
    }

    [Fact]
    public async Task Push_FullBatchAfterATimerSend_SendsWithoutWaitingForTheTimer()
    {
        await using var h = new DeliveryHarness(o => o.MaxBatchSize = 10);
        h.PushMany(3);
        await h.AdvanceUntilAsync(() => h.Client.Statistics.Delivered == 3);
        var now = h.Time.GetUtcNow();

        // Everything settled; the clock no longer moves, so the next batch can only come from the size trigger.
        await h.Client.FlushAsync().WaitAsync(DeliveryHarness.RealTimeout);

        h.PushMany(7, from: 3);
        h.Requests.Should().HaveCount(1, "7 messages do not fill a batch");
        h.PushMany(3, from: 10);
        await DeliveryHarness.WaitUntilAsync(() => h.Requests.Count == 2);

        h.Requests[1].At.Should().Be(now);
        h.Requests[1].Numbers.Should().Equal(Enumerable.Range(3, 10).Select(i => (long)i));
    }

    [Fact]
    public async Task Push_FewerThanMaxBatchSize_SentWhenFlushIntervalElapses()
    {
        await using var h = new DeliveryHarness(o => o.FlushInterval = TimeSpan.FromSeconds(5));
        await h.Client.FlushAsync().WaitAsync(DeliveryHarness.RealTimeout);

        h.PushMany(3);

        // Steps of 20 ms: after the interval, a busy machine has 250 of them (each ~1 ms of real time) to send the batch
        // before the upper bound, which still fails a batch that waits one interval too many.
        await h.AdvanceUntilAsync(() => h.Requests.Count == 1, TimeSpan.FromMilliseconds(20));

        var sentAfter = h.Requests[0].At - DeliveryHarness.Start;
        sentAfter.Should().BeGreaterThanOrEqualTo(TimeSpan.FromSeconds(5)).And.BeLessThan(TimeSpan.FromSeconds(10));
        h.Requests[0].MessageIds.Should().HaveCount(3);
    }

    [Fact]
    public async Task Push_QueuedJsonReachesMaxBatchBytes_SendsWithoutWaitingForCountOrTimer()
    {
        await using var h = new DeliveryHarness(o =>
        {
            o.MaxBatchSize = 1000;
            o.MaxBatchBytes = 20_000;
        });
        var text = new string('x', 450);

        for (var i = 0; i < 45; i++)
        {
            h.Push(i, text: text);
        }

        await DeliveryHarness.WaitUntilAsync(() => h.Requests.Count >= 1 && h.Requests[0].Status == 200);
        h.Requests[0].At.Should().Be(DeliveryHarness.Start);
        h.Requests[0].Json.Length.Should().BeLessThanOrEqualTo(20_000).And.BeGreaterThan(15_000);
        await h.FlushAsync();
        h.Accepted.SelectMany(r => r.Numbers).Should().Equal(Enumerable.Range(0, 45).Select(i => (long)i));
        h.Requests.Should().OnlyContain(r => r.Json.Length <= 20_000);
    }

    [Fact]
    public async Task FlushAsync_FewMessages_SendsImmediately()
    {
        await using var h = new DeliveryHarness();
        h.PushMany(3);

        await h.Client.FlushAsync().WaitAsync(DeliveryHarness.RealTimeout);

        h.Requests.Should().ContainSingle().Which.At.Should().Be(DeliveryHarness.Start);
        h.Client.Statistics.Delivered.Should().Be(3);
    }

    [Fact]
    public async Task Send_ManyBatchesWithFailures_SeveralInFlightAndEachUsersOrderKept()
    {
        await using var h = new DeliveryHarness(o =>
        {
            o.MaxBatchSize = 7;
            o.MaxRetryAttempts = 20;
            o.RetryBaseDelay = TimeSpan.FromMilliseconds(50);
            o.MaxRetryDelay = TimeSpan.FromMilliseconds(200);
            o.CircuitBreakDuration = TimeSpan.FromSeconds(1);
        });
        h.Responder = r => Task.FromResult(new HttpResponseMessage(r.Index % 3 == 0 ? HttpStatusCode.ServiceUnavailable : HttpStatusCode.OK));
        string[] users = ["anon-a", "anon-b", "anon-c"];

        for (var i = 0; i < 90; i++)
        {
            h.Push(i, users[i % 3]);
        }

        await h.FlushAsync();

        h.MaxConcurrentRequests.Should().BeInRange(1, h.Options.EffectiveMaxConcurrentRequests);
        h.Requests.Should().Contain(r => r.Status == 503, "the scenario must exercise retries");
        var delivered = h.Accepted.SelectMany(r => r.Messages).ToList();
        foreach (var user in users)
        {
            var numbers = delivered.Where(m => m.GetProperty("anonymousId").GetString() == user).Select(DeliveryHarness.NumberOf);
            numbers.Should().Equal(Enumerable.Range(0, 90).Where(i => users[i % 3] == user).Select(i => (long)i));
        }

        h.AssertBalanced().Delivered.Should().Be(90);
    }

    [Fact]
    public async Task FlushAsync_BatchStillInFlight_CompletesOnlyOnceItIsSettled()
    {
        await using var h = new DeliveryHarness();
        var gate = new TaskCompletionSource<HttpResponseMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        h.Responder = _ => gate.Task;
        h.PushMany(3);

        var flush = h.Client.FlushAsync();
        await DeliveryHarness.WaitUntilAsync(() => h.Requests.Count == 1);
        await Task.Delay(50);

        flush.IsCompleted.Should().BeFalse();
        gate.SetResult(new HttpResponseMessage(HttpStatusCode.OK));
        await flush.WaitAsync(DeliveryHarness.RealTimeout);
        h.Client.Statistics.Delivered.Should().Be(3, "the flush ends only after the batch is counted");
    }

    [Fact]
    public async Task FlushAsync_WithRetries_CompletesAfterTheRetriedBatchIsDelivered()
    {
        await using var h = new DeliveryHarness(o => o.RetryBaseDelay = TimeSpan.FromSeconds(1));
        h.RespondInTurn(HttpStatusCode.ServiceUnavailable, HttpStatusCode.ServiceUnavailable);
        h.PushMany(5);

        await h.FlushAsync();

        var stats = h.AssertBalanced();
        stats.Delivered.Should().Be(5);
        stats.Pending.Should().Be(0);
        h.Requests.Should().HaveCount(3);
    }

    [Fact]
    public async Task FlushAsync_Cancelled_ThrowsAndDeliveryGoesOn()
    {
        await using var h = new DeliveryHarness();
        var gate = new TaskCompletionSource<HttpResponseMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        h.Responder = _ => gate.Task;
        h.PushMany(3);
        using var cts = new CancellationTokenSource();

        var flush = h.Client.FlushAsync(cts.Token);
        await DeliveryHarness.WaitUntilAsync(() => h.Requests.Count == 1);
        await cts.CancelAsync();

        await flush.Invoking(f => f.WaitAsync(DeliveryHarness.RealTimeout)).Should().ThrowAsync<OperationCanceledException>();
        gate.SetResult(new HttpResponseMessage(HttpStatusCode.OK));
        await h.FlushAsync();
        h.AssertBalanced().Delivered.Should().Be(3);
    }

    [Fact]
    public async Task FlushAsync_WithRestAnonymousPushesHeldForALogin_DoesNotWaitForThem()
    {
        // The harness's collector reads batch bodies: a REST client of its own, every upsert answered 200.
        var time = new FakeTimeProvider(DeliveryHarness.Start);
        using var http = new HttpClient(new HeaderRecordingHandler());
        var client = new GrowlyticsClient(new GrowlyticsOptions
        {
            ApiKey = DeliveryHarness.ApiKey,
            Endpoint = new Uri("https://collector.test/"),
            Protocol = GrowlyticsProtocol.Rest,
            HttpClient = http,
            TimeProvider = time,
            FlushOnProcessExit = false,
        });
        client.User.Push(new Dictionary<string, object?> { ["n"] = 1 });
        client.Customers.Update("customer-1", new Dictionary<string, object?> { ["n"] = 2 });

        await DriveAsync(time, client.FlushAsync());

        (client.Statistics.Delivered, client.Statistics.Pending).Should().Be((1, 1), "the held push waits for the login, not for a flush");
        client.User.Identify("user-1");
        await DriveAsync(time, client.FlushAsync());
        (client.Statistics.Delivered, client.Statistics.Pending).Should().Be((3, 0), "the login's upsert carries the held push");
        await DriveAsync(time, client.ShutdownAsync());

        static async Task DriveAsync(FakeTimeProvider time, Task task)
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            while (!task.IsCompleted && clock.Elapsed < DeliveryHarness.RealTimeout)
            {
                await Task.Delay(1);
                time.Advance(TimeSpan.FromMilliseconds(100));
            }

            task.IsCompleted.Should().BeTrue("it completes within {0} of real time", DeliveryHarness.RealTimeout);
            await task;
        }
    }

    [Fact]
    public async Task FlushAsync_TokenCancelledBeforeTheCall_ThrowsEvenWithNothingToWaitFor()
    {
        await using var h = new DeliveryHarness();
        await h.FlushAsync();

        var act = () => h.Client.FlushAsync(new CancellationToken(canceled: true));

        await act.Should().ThrowAsync<OperationCanceledException>();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task FlushAsync_Cancelled_IsWithdrawnAndNoLongerSendsOtherUsersPartialBatches(bool flushedRequestFails)
    {
        await using var h = new DeliveryHarness(o => o.FlushInterval = TimeSpan.FromHours(1));
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var attempts = 0;
        h.Responder = async _ =>
        {
            if (Interlocked.Increment(ref attempts) == 1)
            {
                // The flushed request: held; then delivered, or refused with a transient status (its retry waits for the
                // fake clock, so it stays in flight).
                await gate.Task;
                return new HttpResponseMessage(flushedRequestFails ? HttpStatusCode.ServiceUnavailable : HttpStatusCode.OK);
            }

            return new HttpResponseMessage(HttpStatusCode.OK);
        };
        h.PushMany(3);
        using var cts = new CancellationTokenSource();
        var flush = h.Client.FlushAsync(cts.Token);
        await DeliveryHarness.WaitUntilAsync(() => h.Requests.Count == 1);
        h.Client.Dispatcher.WaitingFlushes.Should().Be(1);

        await cts.CancelAsync();
        await flush.Invoking(f => f.WaitAsync(DeliveryHarness.RealTimeout)).Should().ThrowAsync<OperationCanceledException>();
        h.Client.Dispatcher.WaitingFlushes.Should().Be(0);

        // Another user's two messages wait for a full batch or the flush interval (the fake clock never reaches it), while
        // the first request is in flight and after it ends, instead of going at once as they would for a waiting flush.
        h.Push(100, anonymousId: "other-user");
        h.Push(101, anonymousId: "other-user");
        await Task.Delay(TimeSpan.FromMilliseconds(300));
        gate.SetResult();
        await Task.Delay(TimeSpan.FromMilliseconds(300));
        h.Requests.Should().HaveCount(1, "no flush waits ({0})", string.Join("; ", h.Requests));

        await h.FlushAsync();
        h.AssertBalanced().Delivered.Should().Be(5);
    }

    [Fact]
    public async Task FlushAsync_CancelledRepeatedlyDuringAnOutage_DoesNotPileUp()
    {
        await using var h = new DeliveryHarness();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        h.Responder = async _ =>
        {
            await gate.Task;
            return new HttpResponseMessage(HttpStatusCode.OK);
        };
        h.PushMany(3);

        for (var i = 0; i < 50; i++)
        {
            using var cts = new CancellationTokenSource();
            var flush = h.Client.FlushAsync(cts.Token);
            await cts.CancelAsync();
            await flush.Invoking(f => f.WaitAsync(DeliveryHarness.RealTimeout)).Should().ThrowAsync<OperationCanceledException>();
        }

        h.Client.Dispatcher.WaitingFlushes.Should().Be(0);
        var waiting = h.Client.FlushAsync();
        h.Client.Dispatcher.WaitingFlushes.Should().Be(1);
        gate.SetResult();
        await h.RunAsync(waiting);
        h.Client.Dispatcher.WaitingFlushes.Should().Be(0);
        h.AssertBalanced().Delivered.Should().Be(3);
    }

    [Fact]
    public async Task ShutdownAsync_QueuedMessages_DeliversThemAll()
    {
        await using var h = new DeliveryHarness();
        h.PushMany(250);

        await h.Client.ShutdownAsync().WaitAsync(DeliveryHarness.RealTimeout);

        var stats = h.AssertBalanced();
        stats.Delivered.Should().Be(250);
        stats.DroppedByReason[DropReason.Shutdown].Should().Be(0);
        h.Requests.Select(r => r.MessageIds.Count).Should().Equal(100, 100, 50);
    }

    [Fact]
    public async Task ShutdownAsync_CollectorHangs_CountsTheRestAsShutdownAfterTheTimeout()
    {
        await using var h = new DeliveryHarness(o =>
        {
            o.MaxBatchSize = 5;
            o.ShutdownTimeout = TimeSpan.FromSeconds(3);
            o.RequestTimeout = TimeSpan.FromMinutes(5);
        });
        var never = new TaskCompletionSource<HttpResponseMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        h.Responder = _ => never.Task;
        h.PushMany(12);
        await DeliveryHarness.WaitUntilAsync(() => h.Requests.Count == 1);

        await h.RunAsync(h.Client.ShutdownAsync());

        // At the shutdown timeout, not the request timeout (5 min); the upper bound leaves a busy machine ~170 clock steps.
        (h.Time.GetUtcNow() - DeliveryHarness.Start).Should().BeGreaterThanOrEqualTo(TimeSpan.FromSeconds(3)).And.BeLessThan(TimeSpan.FromSeconds(20));
        var stats = h.AssertBalanced();
        stats.DroppedByReason[DropReason.Shutdown].Should().Be(12);
        stats.Pending.Should().Be(0);
        h.Log.WithId(2009).Should().ContainSingle().Which.Fields["Count"].Should().Be(12L);
    }

    [Fact]
    public async Task ShutdownAsync_TimeoutDuringA413Split_CountsOnlyTheUnsentHalfAsShutdown()
    {
        await using var h = new DeliveryHarness(o =>
        {
            o.MaxBatchSize = 4;
            o.ShutdownTimeout = TimeSpan.FromSeconds(2);
            o.RequestTimeout = TimeSpan.FromMinutes(5);
        });
        var never = new TaskCompletionSource<HttpResponseMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        h.Responder = r => r.MessageIds.Count == 4 ? Task.FromResult(new HttpResponseMessage(HttpStatusCode.RequestEntityTooLarge))
            : r.Numbers.First() == 0 ? Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK))
            : never.Task;
        h.PushMany(4);
        await DeliveryHarness.WaitUntilAsync(() => h.Requests.Count == 3);

        await h.RunAsync(h.Client.ShutdownAsync());

        var stats = h.AssertBalanced();
        stats.Delivered.Should().Be(2);
        stats.DroppedByReason[DropReason.Shutdown].Should().Be(2);
    }

    [Fact]
    public async Task Send_EveryRequestAnswered413_SplitsAndDropsAreLoggedOncePerIntervalWithACount()
    {
        await using var h = new DeliveryHarness(o => o.MaxBatchSize = 8);
        h.Responder = _ => Task.FromResult(new HttpResponseMessage(HttpStatusCode.RequestEntityTooLarge));
        h.PushMany(8);

        await h.FlushAsync(TimeSpan.FromMilliseconds(10));

        var stats = h.AssertBalanced();
        stats.DroppedByReason[DropReason.TooLarge].Should().Be(8, "each message was too large on its own");
        h.Requests.Count.Should().BeGreaterThan(8, "batches were split before single messages were dropped");
        h.Log.WithId(2007).Should().ContainSingle("one line per interval, not one per split");
        h.Log.WithId(2008).Should().ContainSingle("one line per interval, not one per message")
            .Which.Fields["Count"].Should().Be(1L);

        // The next interval's line counts what the first did not report.
        h.Time.Advance(TimeSpan.FromSeconds(11));
        h.Push(100);
        await h.FlushAsync(TimeSpan.FromMilliseconds(10));
        h.Log.WithId(2008).Select(e => e.Fields["Count"]).Should().Equal(1L, 8L);
    }

    [Fact]
    public async Task ShutdownAsync_LogsTheTotalsOnce_WhatTheIntervalLimitedWarningsHadNotReportedIncluded()
    {
        await using var h = new DeliveryHarness();
        var failedOnce = 0;
        h.Responder = r => Task.FromResult(new HttpResponseMessage(
            r.Numbers.Any(n => n < 2) ? HttpStatusCode.BadRequest
            : Interlocked.Exchange(ref failedOnce, 1) == 0 ? HttpStatusCode.ServiceUnavailable
            : HttpStatusCode.OK));
        h.Push(0);
        await h.FlushAsync(TimeSpan.FromMilliseconds(10));
        h.Push(1);
        await h.FlushAsync(TimeSpan.FromMilliseconds(10));
        h.PushMany(3, from: 2);
        await h.FlushAsync(TimeSpan.FromMilliseconds(10));

        await h.RunAsync(h.Client.ShutdownAsync());

        // The second refusal came within the first one's interval: its error line comes at the shutdown, before the totals.
        h.Log.WithId(2005).Select(e => e.Fields["Count"]).Should().Equal(1L, 1L);
        h.Log.Entries.Select(e => e.EventId).Where(id => id is 2005 or 2015).Should().Equal(2005, 2005, 2015);
        var totals = h.Log.WithId(2015).Should().ContainSingle().Subject;
        totals.Level.Should().Be(LogLevel.Information);
        totals.Fields["Enqueued"].Should().Be(5L);
        totals.Fields["Delivered"].Should().Be(3L);
        totals.Fields["Dropped"].Should().Be(2L);
        totals.Fields["Reasons"].Should().Be("Rejected 2");
        totals.Fields["Pending"].Should().Be(0L);
        totals.Fields["Retried"].Should().Be(1L);
        totals.Fields["InvalidInputs"].Should().Be(0L);
        totals.Text.Should().NotContain("storage", "without StorageDirectory nothing is kept for the next start");
    }

    [Fact]
    public async Task Push_AfterShutdown_CountedAsShutdownAndLoggedOncePerInterval()
    {
        await using var h = new DeliveryHarness();
        h.PushMany(2);
        await h.Client.ShutdownAsync().WaitAsync(DeliveryHarness.RealTimeout);

        h.PushMany(5, from: 10);
        h.Time.Advance(TimeSpan.FromSeconds(11));
        h.Push(20);

        var stats = h.AssertBalanced();
        stats.Delivered.Should().Be(2);
        stats.DroppedByReason[DropReason.Shutdown].Should().Be(6);
        stats.Pending.Should().Be(0);
        await h.CallLinesWrittenAsync();
        h.Log.WithId(2011).Select(e => e.Fields["Count"]).Should().Equal(1L, 5L);
        h.Requests.Should().ContainSingle();
    }

    [Theory]
    [InlineData(null)]
    [InlineData("visitor-a")]
    public async Task RestAnonymousPush_AfterShutdown_CountedAsShutdownAndLogged(string? anonymousId)
    {
        // With Rest an anonymous push is held for a login, not queued: refused after shutdown, it is logged as any refused call.
        await using var h = new DeliveryHarness(o => o.Protocol = GrowlyticsProtocol.Rest);
        await h.Client.ShutdownAsync().WaitAsync(DeliveryHarness.RealTimeout);

        h.Push(1, anonymousId: anonymousId);
        h.Push(2, anonymousId: anonymousId);

        var stats = h.AssertBalanced();
        stats.DroppedByReason[DropReason.Shutdown].Should().Be(2);
        stats.Pending.Should().Be(0);
        await h.CallLinesWrittenAsync();
        h.Log.WithId(2011).Should().ContainSingle().Which.Fields["Count"].Should().Be(1L, "the second refusal falls within the interval");
    }

    [Fact]
    public async Task Dispose_OnASingleThreadedSynchronizationContext_DoesNotDeadlock()
    {
        await using var h = new DeliveryHarness();
        using var context = new DeliverySynchronizationContext();

        var run = context.RunAsync(() =>
        {
            h.PushMany(3);
            h.Client.Dispose();
        });

        await run.WaitAsync(DeliveryHarness.RealTimeout);
        var stats = h.AssertBalanced();
        stats.Delivered.Should().Be(3);
        stats.Pending.Should().Be(0);
    }

    [Fact]
    public async Task FlushAsync_RegisteredJustAfterShutdownEndedTheLoop_Completes()
    {
        using var held = new ManualResetEventSlim();
        var entered = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        var first = 1;
        await using var h = new DeliveryHarness(o => o.BeforeFlushRegistered = () =>
        {
            // The first flush stops between taking its target and registering, as a thread preempted there would.
            if (Interlocked.Exchange(ref first, 0) == 1)
            {
                entered.TrySetResult(true);
                held.Wait(DeliveryHarness.RealTimeout);
            }
        });
        h.PushMany(2);
        var flush = Task.Run(() => h.Client.FlushAsync());
        await entered.Task.WaitAsync(DeliveryHarness.RealTimeout);

        await h.RunAsync(h.Client.ShutdownAsync());
        held.Set();

        var done = await Task.WhenAny(flush, Task.Delay(TimeSpan.FromSeconds(5)));
        done.Should().BeSameAs(flush, "a flush that raced the shutdown must still complete");
        await flush;
        h.AssertBalanced().Pending.Should().Be(0);
    }
}
