using System.Diagnostics;
using System.Net;
using GrowlyticsSdk.Diagnostics;
using GrowlyticsSdk.Tests.TestSupport;

namespace GrowlyticsSdk.Tests.Delivery;

/// <summary>
/// Drops without a message in delivery (refused at the call, a full queue) are reported by <see cref="GrowlyticsClient.MessageDropped"/>
/// too, summed per reason, on a pool thread: every drop counted while the event has a handler is reported once.
/// </summary>
public sealed class BulkDropEventTests
{
    [Theory]
    [InlineData(QueueOverflowPolicy.DropNewest)]
    [InlineData(QueueOverflowPolicy.DropOldest)]
    public async Task QueueFull_EveryDropIsReportedOnceWithoutACustomerId(QueueOverflowPolicy policy)
    {
        await using var h = new DeliveryHarness(
            o =>
            {
                o.MaxQueueSize = 16;
                o.QueueOverflowPolicy = policy;
            },
            startDelivery: false);
        var events = new Recorder();
        h.Client.MessageDropped += events.Handler;

        Recorder.Calling(() => h.PushMany(100));

        var counted = h.Client.Statistics.DroppedByReason[DropReason.QueueFull];
        counted.Should().Be(84);
        await DeliveryHarness.WaitUntilAsync(() => events.Sum(DropReason.QueueFull) == counted);
        await Task.Delay(50);
        events.Sum(DropReason.QueueFull).Should().Be(counted, "each drop is reported once");
        events.All.Should().OnlyContain(e => e.Reason == DropReason.QueueFull && e.CustomerId == null && e.Count > 0);
        events.DuringACall.Should().Be(0, "the caller's thread never runs the application's handler");
    }

    [Fact]
    public async Task CallsRefusedAfterTheKeyWasRefused_AreReportedAsUnauthorized()
    {
        await using var h = new DeliveryHarness();
        h.Responder = _ => Task.FromResult(new HttpResponseMessage(HttpStatusCode.Unauthorized));
        var events = new Recorder();
        h.Client.MessageDropped += events.Handler;
        h.PushMany(1);
        await h.FlushAsync();

        h.PushMany(20, from: 1);

        var counted = h.Client.Statistics.DroppedByReason[DropReason.Unauthorized];
        counted.Should().Be(21);
        await DeliveryHarness.WaitUntilAsync(() => events.Sum(DropReason.Unauthorized) == counted);
        events.All.Should().Contain(e => e.StatusCode == 401, "the refused request's own message is reported with its status");
    }

    [Fact]
    public async Task CallsAfterShutdown_AreReportedAsShutdown()
    {
        await using var h = new DeliveryHarness();
        var events = new Recorder();
        h.Client.MessageDropped += events.Handler;
        await h.Client.ShutdownAsync();

        h.PushMany(5);

        await DeliveryHarness.WaitUntilAsync(() => events.Sum(DropReason.Shutdown) == 5);
        h.Client.Statistics.DroppedByReason[DropReason.Shutdown].Should().Be(5);
    }

    [Fact]
    public async Task DropsCountedWithoutAHandler_AreNotReportedToOneAddedLater()
    {
        await using var h = new DeliveryHarness(o => o.MaxQueueSize = 4, startDelivery: false);
        h.PushMany(10);
        var events = new Recorder();
        h.Client.MessageDropped += events.Handler;

        h.PushMany(1, from: 10);
        await DeliveryHarness.WaitUntilAsync(() => events.Sum(DropReason.QueueFull) == 1);
        h.Client.MessageDropped -= events.Handler;
        h.PushMany(3, from: 11);
        await Task.Delay(50);

        events.Sum(DropReason.QueueFull).Should().Be(1);
        h.Client.Statistics.DroppedByReason[DropReason.QueueFull].Should().Be(10);
    }

    [Fact]
    public async Task RestProcessWideSession_HeldPushesDroppedAtShutdownAndPushesAfterIt_AreReportedAsShutdown()
    {
        await using var h = new DeliveryHarness(o => o.Protocol = GrowlyticsProtocol.Rest);
        var events = new Recorder();
        h.Client.MessageDropped += events.Handler;
        h.PushMany(3);

        await h.Client.ShutdownAsync();
        Recorder.Calling(() => h.PushMany(4, from: 3));

        h.Client.Statistics.DroppedByReason[DropReason.Shutdown].Should().Be(7, "three held for a login, four after shutdown");
        await DeliveryHarness.WaitUntilAsync(() => events.Sum(DropReason.Shutdown) == 7);
        events.DuringACall.Should().Be(0);
    }

    [Fact]
    public async Task HeldVisitorEvictedByAnotherVisitorsPush_IsReportedOffTheCallersThread()
    {
        await using var h = new DeliveryHarness(o =>
        {
            o.Protocol = GrowlyticsProtocol.Rest;
            o.MaxHeldAnonymousSessions = 1;
        });
        var events = new Recorder();
        h.Client.MessageDropped += events.Handler;
        h.Push(1, anonymousId: "visitor-a");

        Recorder.Calling(() => h.Push(2, anonymousId: "visitor-b"));

        await DeliveryHarness.WaitUntilAsync(() => events.Sum(DropReason.AnonymousExpired) == 1);
        events.DuringACall.Should().Be(0, "the evicting push's thread, inside that session's lock, never runs the handler");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Shutdown_ReturnsOnlyOnceEveryDropIsReported(bool tokenCancelled)
    {
        await using var h = new DeliveryHarness(o => o.MaxQueueSize = 16, startDelivery: false);
        using var gate = new ManualResetEventSlim();
        long reported = 0;
        h.Client.MessageDropped += (_, e) =>
        {
            // The queue's drops are reported on a pool thread; the 16 queued messages are dropped as Shutdown.
            if (e.Reason == DropReason.QueueFull)
            {
                gate.Wait(TimeSpan.FromSeconds(30));
            }

            Interlocked.Add(ref reported, e.Count);
        };
        h.PushMany(100);

        using var cancellation = new CancellationTokenSource();
        if (tokenCancelled)
        {
            // The token ends delivery early, not the wait for the handlers (bounded by a grace on the clock).
            await cancellation.CancelAsync();
        }

        var shutdown = h.Client.ShutdownAsync(cancellation.Token);
        try
        {
            await Task.Delay(100);
            shutdown.IsCompleted.Should().BeFalse("a handler is still reporting drops, and the shutdown's deadline (fake time) has not passed");
        }
        finally
        {
            gate.Set();
        }

        await shutdown;

        var statistics = h.Client.Statistics;
        statistics.DroppedByReason[DropReason.QueueFull].Should().Be(84);
        Interlocked.Read(ref reported).Should().Be(statistics.Dropped, "every drop is reported before the shutdown returns, the queue's 84 among them");
    }

    [Fact]
    public async Task Shutdown_AHandlerThatDoesNotReturn_HoldsItOnlyPastTheDeadlineAndAShortGrace()
    {
        await using var h = new DeliveryHarness(o => o.MaxQueueSize = 16, startDelivery: false);
        using var gate = new ManualResetEventSlim();
        var entered = 0;
        h.Client.MessageDropped += (_, e) =>
        {
            if (e.Reason == DropReason.QueueFull)
            {
                Interlocked.Increment(ref entered);
                gate.Wait(TimeSpan.FromSeconds(30));
            }
        };
        h.PushMany(100);
        await DeliveryHarness.WaitUntilAsync(() => Volatile.Read(ref entered) == 1);

        var shutdown = h.Client.ShutdownAsync();
        try
        {
            await Task.Delay(50);
            shutdown.IsCompleted.Should().BeFalse();
            h.Time.Advance(h.Options.ShutdownTimeout);
            await DeliveryHarness.WaitUntilAsync(() =>
            {
                h.Time.Advance(TimeSpan.FromMilliseconds(50));
                return shutdown.IsCompleted;
            });

            gate.IsSet.Should().BeFalse("the shutdown ended while the handler still ran");
        }
        finally
        {
            gate.Set();
        }

        await shutdown;
    }

    [Fact]
    public void Reports_ADropRacingTheEndOfAReport_IsNeverLeftUnreported()
    {
        // The reporter clears its flag and then looks for counts left: a drop counted in between must be reported by
        // this reporter or schedule the next one, never neither (it would wait for the next drop, for ever if none came).
        long reported = 0;
        var raising = 0;
        var reports = new BulkDropReports(DeliveryCounters.AllReasons.Count, (_, count) =>
        {
            Volatile.Write(ref raising, 1);
            Interlocked.Add(ref reported, count);
        });
        reports.Listening = true;
        var random = new Random(1);
        long added = 0;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(3))
        {
            Volatile.Write(ref raising, 0);
            reports.Add(DropReason.QueueFull, 1);
            added++;
            SpinWait.SpinUntil(() => Volatile.Read(ref raising) == 1, 5000);
            Thread.SpinWait(random.Next(0, 64));
            reports.Add(DropReason.QueueFull, 1);
            added++;

            var expected = added;
            // A liveness bound (a lost report never comes), long enough for a thread pool that other tests keep busy.
            SpinWait.SpinUntil(() => Interlocked.Read(ref reported) == expected, 30_000).Should().BeTrue($"every drop is reported ({expected - Interlocked.Read(ref reported)} left after 30 s)");
        }
    }

    private sealed class Recorder
    {
        [ThreadStatic]
        private static bool t_inCall;

        private readonly List<MessageDroppedEventArgs> _events = [];
        private int _duringACall;

        public IReadOnlyList<MessageDroppedEventArgs> All
        {
            get
            {
                lock (_events)
                {
                    return _events.ToList();
                }
            }
        }

        public int DuringACall => Volatile.Read(ref _duringACall);

        public static void Calling(Action calls)
        {
            t_inCall = true;
            try
            {
                calls();
            }
            finally
            {
                t_inCall = false;
            }
        }

        public void Handler(object? sender, MessageDroppedEventArgs e)
        {
            if (t_inCall)
            {
                Interlocked.Increment(ref _duringACall);
            }

            lock (_events)
            {
                _events.Add(e);
            }
        }

        public long Sum(DropReason reason) => All.Where(e => e.Reason == reason).Sum(e => (long)e.Count);
    }
}
