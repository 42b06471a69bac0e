using System.Net;
using GrowlyticsSdk.Delivery;
using GrowlyticsSdk.TestSupport;

namespace GrowlyticsSdk.Tests.Storage;

/// <summary>
/// With storage, a batch whose retries run out is kept and tried again later. The stored queue cannot move its
/// acknowledged position past a kept message: once <c>ReadWindow</c> later records were read it hands out nothing more
/// and every user waits. A kept message refused again then, after the service accepted at least 32 other requests since
/// it was first kept, is dropped as <see cref="DropReason.RetriesExhausted"/>; in an outage (nothing, or a probe or two,
/// accepted), or while the queue does not wait for it, it stays kept. One kept in memory does not wait for the window.
/// </summary>
public sealed class RefusedWithStorageTests : StorageTestBase, IAsyncLifetime
{
    private readonly List<GrowlyticsClient> _clients = [];

    private const long Poison = 99_999;

    // Two visitors in different partitions (checked below): the others' requests never carry the refused message.
    private const string PoisonVisitor = "visitor-with-a-refused-message";
    private const string OtherVisitor = "visitor-with-accepted-messages";
    private static readonly TimeSpan Step = TimeSpan.FromSeconds(1);

    // A message tried again after its pause goes once its request's fill time has passed: short, so the pause is what is measured.
    private static readonly TimeSpan ShortFlushInterval = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan MaxRetryDelay = new GrowlyticsOptions().MaxRetryDelay;

    [Fact]
    public async Task MessageTheServiceAlwaysRefuses_WhileItAcceptsOthers_IsDroppedAndDoesNotStopTheOthers()
    {
        var collector = new PoisonCollector();
        var drops = new List<MessageDroppedEventArgs>();
        var logs = new RecordingLoggerFactory();
        var client = ClientFor(collector, o => o.LoggerFactory = logs);
        client.MessageDropped += (_, e) =>
        {
            lock (drops)
            {
                drops.Add(e);
            }
        };

        // Alone in its request first: refused, and nothing was delivered yet, so nothing says it is not an outage: kept.
        await SendPoisonAsync(client, collector);
        client.Statistics.Dropped.Should().Be(0, "a refusal with no other request delivered looks like an outage");

        // More than the read window of other messages: all delivered; the refused one is dropped when tried again.
        const int Others = 20_000;
        PushAsTheOtherVisitor(client, 0, Others);
        var flush = client.FlushAsync();
        await DriveUntilAsync(() => flush.IsCompleted && client.Statistics.Delivered == Others && client.Statistics.Dropped == 1, Step);

        collector.Delivered.Should().Be(Others);
        logs.Entries.Should().ContainSingle(e => e.EventId == 2014, "the drop is reported");

        // Reported off the delivery loop: the flush completes once the drop is counted, its report may follow.
        await client.DropsReportedAsync().WaitAsync(TimeSpan.FromSeconds(20));
        lock (drops)
        {
            drops.Should().ContainSingle().Which.Reason.Should().Be(DropReason.RetriesExhausted);
        }

        client.Statistics.Pending.Should().Be(0);
        ShouldBeBalanced(client.Statistics);
    }

    [Fact]
    public async Task MessageTheServiceAlwaysRefuses_DefaultRetries_SparseTraffic_IsDroppedOnceTheQueueWaitsForIt()
    {
        var collector = new PoisonCollector();
        var client = ClientFor(collector, o => o.MaxRetryAttempts = new GrowlyticsOptions().MaxRetryAttempts);

        // Its first round of attempts runs out: kept.
        PushPoison(client);
        await DriveUntilAsync(() => collector.Refused > new GrowlyticsOptions().MaxRetryAttempts, TimeSpan.FromSeconds(1));

        // Ten requests of other traffic a minute, while each round of retries of the kept message (every ~30 s) fails
        // seven times: its own failures must not keep it from being dropped once the queue waits for it.
        for (var minute = 0; minute < 17; minute++)
        {
            PushAsTheOtherVisitor(client, minute * 1000, 1000);
            for (var step = 0; step < 12; step++)
            {
                Time.Advance(TimeSpan.FromSeconds(5));
                await Task.Delay(5);
            }
        }

        await DriveUntilAsync(() => client.Statistics.Delivered == 17_000 && client.Statistics.Dropped == 1, TimeSpan.FromSeconds(5));
        client.Statistics.DroppedByReason[DropReason.RetriesExhausted].Should().Be(1);
        collector.LargestRefusedRequest.Should().Be(1, "a kept message is tried again in a request without other users' messages");
        ShouldBeBalanced(client.Statistics);
    }

    [Fact]
    public async Task KeptMessageTriedAgain_GoesInARequestWithoutOtherUsersMessages()
    {
        var collector = new PoisonCollector();
        var client = ClientFor(collector, o => o.FlushInterval = TimeSpan.FromHours(1));
        await SendPoisonAsync(client, collector);

        // Another visitor's messages wait to fill a request; the kept one's pause ends; a flush sends both partitions.
        PushAsTheOtherVisitor(client, 0, 50);
        Time.Advance(TimeSpan.FromSeconds(31));
        await Task.Delay(50);
        var flush = client.FlushAsync();
        await DriveUntilAsync(
            () => flush.IsCompleted && client.Statistics.Delivered == 50,
            TimeSpan.FromMilliseconds(200),
            () => $"Flush completed: {flush.IsCompleted}; delivered {client.Statistics.Delivered}, pending {client.Statistics.Pending}; the collector refused {collector.Refused} request(s), accepted {collector.Delivered} message(s).");

        collector.LargestRefusedRequest.Should().Be(1, "the kept message went alone");
        ShouldBeBalanced(client.Statistics);
    }

    [Fact]
    public async Task MessageRefusedForAWhile_WhileTheStoredQueueDoesNotWaitForIt_IsKeptAndDeliveredOnceAccepted()
    {
        var collector = new PoisonCollector();
        var client = ClientFor(collector);
        await SendPoisonAsync(client, collector);

        // Others are delivered meanwhile (50 requests, well past the 32 that would let it go, but far fewer records than
        // the read window), and it is refused again at every try.
        PushAsTheOtherVisitor(client, 0, 5000);
        await DriveUntilAsync(() => client.Statistics.Delivered == 5000 && collector.Refused >= 4, Step);
        client.Statistics.Dropped.Should().Be(0, "the stored queue does not wait for it: it is kept");

        collector.AcceptPoison = true;
        await DriveUntilAsync(() => client.Statistics.Delivered == 5001, Step);
        client.Statistics.Dropped.Should().Be(0);
        ShouldBeBalanced(client.Statistics);
    }

    [Fact]
    public async Task Outage_AfterManyDeliveries_WhatRunsOutOfRetriesIsKeptAndDeliveredWhenTheServiceIsBack()
    {
        var collector = new StorageCollector { Up = true };

        // Enough requests at once that the loop stages more than the read window: the stored queue waits for kept ones.
        var client = NewClient(collector, o => o.MaxConcurrentRequests = 32);
        PushNumbers(client, 0, 2000);
        var flush = client.FlushAsync();
        await DriveUntilAsync(() => flush.IsCompleted && client.Statistics.Delivered == 2000, TimeSpan.FromMilliseconds(100));

        // Down: every request fails. What runs out of retries is kept, tried again after its pause and kept again, though
        // requests were accepted before the outage and the stored queue waits for them.
        collector.Up = false;
        PushToCustomers(client, 2000, 20_000);
        flush = client.FlushAsync();
        await DriveUntilAsync(() => flush.IsCompleted, TimeSpan.FromSeconds(5));

        // 200 s: kept requests are tried again after their 30 s pauses (as the circuit breaker lets them) and refused.
        var attempts = collector.Attempts;
        for (var i = 0; i < 40; i++)
        {
            Time.Advance(TimeSpan.FromSeconds(5));
            await Task.Delay(10);
        }

        await MoreAttemptsThanAsync(() => collector.Attempts, attempts);

        collector.Attempts.Should().BeGreaterThan(attempts, "kept requests were tried again while the stored queue waited for them");

        client.Statistics.Dropped.Should().Be(0);

        // Back up: the fake clock moves (200 ms steps) only while no attempt is on its way. Moved regardless, it passed a
        // request's timeout (10 min) while a busy machine (CI's projects at once, other suites beside it) delayed answers
        // given in real time: those requests timed out, and a kept message timed out after 32 others were accepted was
        // dropped as refused for good (33 or 288 of 22,000 in some runs).
        collector.Up = true;
        var attemptsWhenBack = collector.Attempts;
        await DriveBetweenAttemptsUntilAsync(
            client,
            () => client.Statistics.Delivered == 22_000,
            TimeSpan.FromMilliseconds(200),
            () => $"Delivered {client.Statistics.Delivered}, pending {client.Statistics.Pending}, dropped {client.Statistics.Dropped} ({string.Join(", ", client.Statistics.DroppedByReason.Where(d => d.Value > 0).Select(d => d.Key + " " + d.Value))}), retried {client.Statistics.Retried}, batches {client.Statistics.BatchesSent}; {collector.Attempts - attemptsWhenBack} attempts since the service came back, {collector.Hanging} hanging; staged {client.Dispatcher.StagedCount}, past the circuit {client.Dispatcher.Sender.AttemptsPastCircuit}");

        client.Statistics.Dropped.Should().Be(0);
        collector.Numbers.Should().HaveCount(22_000);
        ShouldBeBalanced(client.Statistics);
    }

    [Fact]
    public async Task DiskFailing_MessageTheServiceAlwaysRefuses_IsDroppedFromMemoryAndAFlushCompletes()
    {
        var collector = new PoisonCollector();
        var client = ClientFor(collector, o => o.StorageWriteFault = () => new IOException("No space left on device"));

        // Every write fails: delivery goes on from memory, where a kept message would wait, and any flush with it, for ever.
        await SendPoisonAsync(client, collector);
        PushAsTheOtherVisitor(client, 0, 4000);
        var flush = client.FlushAsync();
        await DriveUntilAsync(() => flush.IsCompleted, Step);

        client.Statistics.Delivered.Should().Be(4000);
        client.Statistics.DroppedByReason[DropReason.RetriesExhausted].Should().Be(1);
        ShouldBeBalanced(client.Statistics);
    }

    [Fact]
    public async Task KeptMessageRefusedAgain_OthersAcceptedOnlyAfterTheRefusal_IsKeptNotDropped()
    {
        var collector = new PoisonCollector();
        var client = ClientFor(collector, o => o.StorageWriteFault = () => new IOException("No space left on device"));

        // Its second round of attempts runs out too, and the loop hears that answer late: the other traffic, accepted
        // after the refusal, is heard first. The service was not seen refusing it while it accepted others.
        var heard = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var kept = 0;
        var held = 0;
        client.Dispatcher.BeforeAnswerHeard = results =>
        {
            if (results is null || !results.Exists(r => r.Outcome == SendOutcome.Kept) || Interlocked.Increment(ref kept) != 2)
            {
                return Task.CompletedTask;
            }

            Volatile.Write(ref held, 1);
            return heard.Task;
        };

        // Kept in memory (every write fails) after its first round: nothing says it is not an outage.
        await SendPoisonAsync(client, collector);
        var refusedBefore = collector.Refused;
        await DriveUntilAsync(() => Volatile.Read(ref held) == 1, Step, () => $"refused {collector.Refused} (before {refusedBefore})");

        // 40 requests of other users accepted meanwhile (more than the 32 that make a refusal one "for good").
        for (var customer = 0; customer < 40; customer++)
        {
            client.Customers.Update("customer-" + customer, new Dictionary<string, object?> { ["n"] = customer });
            var delivered = customer + 1;
            await DriveUntilAsync(() => collector.Delivered == delivered, TimeSpan.FromMilliseconds(100));
        }

        heard.SetResult();
        collector.AcceptPoison = true;
        await DriveUntilAsync(
            () => collector.PoisonAccepted || client.Statistics.Dropped > 0,
            Step,
            () => $"delivered {client.Statistics.Delivered}, dropped {client.Statistics.Dropped}, pending {client.Statistics.Pending}");

        client.Statistics.Dropped.Should().Be(0, "the refusal came before the others were accepted: it was kept, and delivered once the service took it");
        collector.PoisonAccepted.Should().BeTrue();
        await DriveUntilAsync(() => client.Statistics.Pending == 0, Step);
        client.Statistics.Delivered.Should().Be(41);
        ShouldBeBalanced(client.Statistics);
    }

    [Fact]
    public async Task KeptMessage_RefusedByTheOpenCircuitAfterOthersWereAccepted_IsKeptNotDropped()
    {
        // Every write fails: kept in memory, where a message refused for good would be dropped (it holds its partition and
        // flushes for ever), with no read window to wait for.
        var collector = new PoisonCollector();
        var client = ClientFor(collector, o =>
        {
            o.StorageWriteFault = () => new IOException("No space left on device");
            o.CircuitBreakDuration = TimeSpan.FromMinutes(5);
        });

        // Kept after its first refusal (its pause: MaxRetryDelay, 30 s); 40 requests of others accepted meanwhile.
        await SendPoisonAsync(client, collector);
        var keptAt = Time.GetUtcNow();
        PushToCustomers(client, 0, 4000);
        _ = client.FlushAsync();
        await DriveUntilAsync(() => client.Statistics.Delivered == 4000, TimeSpan.FromMilliseconds(10));
        (Time.GetUtcNow() - keptAt).Should().BeLessThan(TimeSpan.FromSeconds(10), "the kept message's pause has not ended yet");
        Time.Advance(keptAt + TimeSpan.FromSeconds(10) - Time.GetUtcNow());

        // The service goes down (past the 5 s the circuit looks back on): others' requests fail and open the circuit, for a
        // second first (requests were accepted before), then, once a probe fails too, for 5 minutes. Whichever request is
        // that probe, a late customer's update pushed every 2 s makes sure one comes.
        collector.Down = true;
        PushToCustomers(client, 4000, 2000);
        _ = client.FlushAsync();
        var late = 0;
        var steps = 0;
        await DriveUntilAsync(
            () =>
            {
                if (client.Dispatcher.Sender is { CircuitOpenFor.TotalMinutes: > 1, AttemptsPastCircuit: 0 })
                {
                    return true;
                }

                if (steps++ % 200 == 199)
                {
                    // Other customers than those whose messages wait out their pause.
                    client.Customers.Update("late-customer-" + late, new Dictionary<string, object?> { ["n"] = 6000 + late });
                    late++;
                    _ = client.FlushAsync();
                }

                return false;
            },
            TimeSpan.FromMilliseconds(10));
        (Time.GetUtcNow() - keptAt).Should().BeLessThan(TimeSpan.FromSeconds(20), "the kept message's pause has not ended yet");
        var attemptsWhileOpen = collector.Attempts;

        // The kept message's pause ends: the open circuit refuses its attempt before it goes on the wire. The service
        // accepted 40 requests since it was kept, but did not refuse it again: it stays kept.
        await AdvanceAsync(TimeSpan.FromSeconds(60));
        collector.Attempts.Should().Be(attemptsWhileOpen, "the open circuit refused every attempt before the wire");
        client.Statistics.Dropped.Should().Be(0, "the open circuit, not the service, refused the kept message");

        // Back, and the message is taken now: everything is delivered once the circuit lets requests through again.
        collector.Down = false;
        collector.AcceptPoison = true;
        await DriveUntilAsync(() => client.Statistics.Delivered == 6001 + late || client.Statistics.Dropped > 0, Step);
        collector.PoisonAccepted.Should().BeTrue();
        client.Statistics.Dropped.Should().Be(0);
        ShouldBeBalanced(client.Statistics);
    }

    [Fact]
    public async Task FlappingOutage_OneRequestAcceptedWhileTheQueueWaits_NothingIsDropped()
    {
        var collector = new OutageCollector();
        var client = ClientFor(collector, o => o.MaxConcurrentRequests = 32);
        collector.Up = true;
        PushToCustomers(client, 0, 2000);
        var flush = client.FlushAsync();
        await DriveUntilAsync(() => flush.IsCompleted && client.Statistics.Delivered == 2000, TimeSpan.FromMilliseconds(100));

        // Down, with more stored than the read window: what runs out of retries is kept and the queue waits for it.
        collector.Up = false;
        PushToCustomers(client, 2000, 20_000);
        flush = client.FlushAsync();
        await DriveUntilAsync(() => flush.IsCompleted, TimeSpan.FromSeconds(5));
        await AdvanceAsync(TimeSpan.FromSeconds(100));

        // The service accepts one request in the middle of the outage (a probe during a flap), then fails again.
        Interlocked.Exchange(ref collector.Allowed, 1);
        await DriveUntilAsync(() => Volatile.Read(ref collector.Allowed) == 0 && client.Statistics.Delivered > 2000, TimeSpan.FromSeconds(5));
        var delivered = client.Statistics.Delivered;
        var attempts = collector.Attempts;
        await AdvanceAsync(TimeSpan.FromSeconds(200));

        await MoreAttemptsThanAsync(() => collector.Attempts, attempts);

        collector.Attempts.Should().BeGreaterThan(attempts, "kept requests were refused again after the accepted one");
        client.Statistics.Dropped.Should().Be(0, "one request accepted in an outage is a probe, not a service that works");
        client.Statistics.Delivered.Should().Be(delivered);
        ShouldBeBalanced(client.Statistics);
    }

    [Fact]
    public async Task OutOfRetries_WhileOthersSucceed_TriedAgainAfterTheBaseDelayNotTheMaximum()
    {
        // Refused once only (a flaky node) while other requests succeed: out of retries (none here), it is kept, and as
        // the failure is its own its partition pauses for RetryBaseDelay, not MaxRetryDelay: with the stored queue
        // waiting for it once the read window is full, a long pause would hold back every user.
        var collector = new PoisonCollector { RefuseAtMost = 1 };
        var client = ClientFor(collector, o => o.FlushInterval = ShortFlushInterval);
        await DeliverOthersAsync(client, 2000);

        var keptAt = await KeepPoisonWhileOthersAreDeliveredAsync(client, collector, 2000, 2000);
        await DriveUntilAsync(() => collector.PoisonAccepted, TimeSpan.FromMilliseconds(10));

        (Time.GetUtcNow() - keptAt).Should().BeLessThan(MaxRetryDelay / 2, "the pause is the base delay (100 ms)");
        await DriveUntilAsync(() => client.Statistics.Delivered == 4001, TimeSpan.FromMilliseconds(100));
        client.Statistics.Dropped.Should().Be(0);
        ShouldBeBalanced(client.Statistics);
    }

    [Fact]
    public async Task OutOfRetries_WhileOthersSucceed_ButAskedToSlowDown_PausesForTheMaximum()
    {
        // The same with a 429: the service asked to slow down, so the pause is MaxRetryDelay (Retry-After's cap).
        var collector = new PoisonCollector { RefuseAtMost = 1, RefusalStatus = HttpStatusCode.TooManyRequests };
        var client = ClientFor(collector, o => o.FlushInterval = ShortFlushInterval);
        await DeliverOthersAsync(client, 2000);

        var keptAt = await KeepPoisonWhileOthersAreDeliveredAsync(client, collector, 2000, 2000);
        await DriveUntilAsync(() => client.Statistics.Delivered == 4001, TimeSpan.FromSeconds(1));

        (Time.GetUtcNow() - keptAt).Should().BeGreaterThanOrEqualTo(MaxRetryDelay);
        ShouldBeBalanced(client.Statistics);
    }

    [Fact]
    public async Task OutOfRetriesTwice_WhileOthersSucceed_SecondPauseIsTheMaximum()
    {
        var collector = new PoisonCollector { RefuseAtMost = 2 };
        var client = ClientFor(collector, o => o.FlushInterval = ShortFlushInterval);
        await DeliverOthersAsync(client, 2000);
        await KeepPoisonWhileOthersAreDeliveredAsync(client, collector, 2000, 2000);

        // Tried again after the short pause, and refused again while others succeed: kept before, so the pause is the
        // maximum, as for a message the service may never take.
        collector.HoldRefusalUntilDelivered = 5000;
        PushToCustomers(client, 4000, 2000);
        _ = client.FlushAsync();
        await DriveUntilAsync(() => collector.Refused == 2, TimeSpan.FromMilliseconds(10));
        var keptAgainAt = Time.GetUtcNow();
        await DriveUntilAsync(() => client.Statistics.Delivered == 6001, TimeSpan.FromSeconds(1));

        (Time.GetUtcNow() - keptAgainAt).Should().BeGreaterThanOrEqualTo(MaxRetryDelay);
        ShouldBeBalanced(client.Statistics);
    }

    [Fact]
    public async Task OutOfRetries_WithNothingDeliveredYet_PausesForTheMaximum()
    {
        // Nothing says the service works (the first request fails): an outage, so the pause stays MaxRetryDelay.
        var collector = new PoisonCollector { RefuseAtMost = 1 };
        var client = ClientFor(collector, o => o.FlushInterval = ShortFlushInterval);
        await SendPoisonAsync(client, collector);
        var keptAt = Time.GetUtcNow();
        await DriveUntilAsync(() => client.Statistics.Delivered == 1, TimeSpan.FromSeconds(1));

        (Time.GetUtcNow() - keptAt).Should().BeGreaterThanOrEqualTo(MaxRetryDelay, "nothing says the failure is the request's own");
        ShouldBeBalanced(client.Statistics);
    }

    [Fact]
    public void Visitors_AreInDifferentPartitions()
    {
        var partitions = new PartitionSet(PartitionSet.MinimumCount);
        partitions.PartitionOf(PoisonVisitor).Should().NotBe(partitions.PartitionOf(OtherVisitor));
    }

    /// <summary>Pushes the refused message and flushes until the collector has refused it once.</summary>
    private async Task SendPoisonAsync(GrowlyticsClient client, PoisonCollector collector)
    {
        PushPoison(client);
        var stored = StoredAsync(client);
        await DriveUntilAsync(() => stored.IsCompleted && collector.Refused > 0, TimeSpan.FromMilliseconds(50));
    }

    /// <summary>Delivers <paramref name="count"/> messages of the other visitor (a request each 100), so most requests have succeeded.</summary>
    private async Task DeliverOthersAsync(GrowlyticsClient client, int count)
    {
        PushAsTheOtherVisitor(client, 0, count);
        var flush = client.FlushAsync();
        await DriveUntilAsync(() => flush.IsCompleted && client.Statistics.Delivered == count, TimeSpan.FromMilliseconds(100));
    }

    /// <summary>
    /// Pushes the refused message and <paramref name="others"/> updates of 500 customers (requests several at a time); the
    /// collector holds the refusal until half of those are delivered, so other requests succeed while it is tried (its
    /// request may carry some of them too, kept with it). Returns the fake time it was refused.
    /// </summary>
    private async Task<DateTimeOffset> KeepPoisonWhileOthersAreDeliveredAsync(GrowlyticsClient client, PoisonCollector collector, int deliveredBefore, int others)
    {
        collector.HoldRefusalUntilDelivered = deliveredBefore + (others / 2);
        PushPoison(client);
        PushToCustomers(client, deliveredBefore, others);
        _ = client.FlushAsync();
        await DriveUntilAsync(() => collector.Refused == 1, TimeSpan.FromMilliseconds(10));
        return Time.GetUtcNow();
    }

    private static void PushPoison(GrowlyticsClient client)
    {
        using (client.BeginScope(PoisonVisitor))
        {
            client.User.Push(new Dictionary<string, object?> { ["n"] = Poison });
        }
    }

    private static void PushAsTheOtherVisitor(GrowlyticsClient client, int from, int count)
    {
        using (client.BeginScope(OtherVisitor))
        {
            PushNumbers(client, from, count);
        }
    }

    public Task InitializeAsync() => Task.CompletedTask;

    /// <summary>
    /// Shuts the test's clients down while moving the fake clock (their shutdown deadline runs on it): a test that failed
    /// with a message still kept must end, not wait for ever.
    /// </summary>
    public async Task DisposeAsync()
    {
        foreach (var client in _clients)
        {
            var shutdown = client.ShutdownAsync();
            await DriveUntilAsync(() => shutdown.IsCompleted, TimeSpan.FromSeconds(1));
            await client.DisposeAsync();
        }
    }

    private new GrowlyticsClient NewClient(StorageCollector collector, Action<GrowlyticsOptions>? configure = null)
    {
        var client = base.NewClient(collector, configure);
        _clients.Add(client);
        return client;
    }

    // A client that sends to another collector than a StorageCollector.
    private GrowlyticsClient ClientFor(HttpMessageHandler collector, Action<GrowlyticsOptions>? configure = null) =>
        NewClient(new StorageCollector(), o =>
        {
            o.HttpClient = new HttpClient(collector);
            configure?.Invoke(o);
        });

    // For many customers, so their requests go several at a time.
    private static void PushToCustomers(GrowlyticsClient client, int from, int count)
    {
        for (var n = from; n < from + count; n++)
        {
            client.Customers.Update("customer-" + (n % 500), new Dictionary<string, object?> { ["n"] = n });
        }
    }

    private async Task AdvanceAsync(TimeSpan total)
    {
        for (var at = TimeSpan.Zero; at < total; at += TimeSpan.FromSeconds(5))
        {
            Time.Advance(TimeSpan.FromSeconds(5));
            await Task.Delay(10);
        }
    }

    /// <summary>Accepts every request while up; while down refuses them (503), except as many as <see cref="Allowed"/> says.</summary>
    private sealed class OutageCollector : HttpMessageHandler
    {
        public volatile bool Up;
        public int Allowed;
        public int Attempts;

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref Attempts);
            _ = await request.Content!.ReadAsByteArrayAsync(cancellationToken);
            if (Up || TryTakeOne())
            {
                return new HttpResponseMessage(HttpStatusCode.OK);
            }

            return new HttpResponseMessage(HttpStatusCode.ServiceUnavailable);
        }

        private bool TryTakeOne()
        {
            var allowed = Volatile.Read(ref Allowed);
            while (allowed > 0)
            {
                var seen = Interlocked.CompareExchange(ref Allowed, allowed - 1, allowed);
                if (seen == allowed)
                {
                    return true;
                }

                allowed = seen;
            }

            return false;
        }
    }

    private sealed class PoisonCollector : HttpMessageHandler
    {
        private readonly object _gate = new();
        public int Refused;
        public int Delivered;
        public int LargestRefusedRequest;
        public volatile bool AcceptPoison;

        // How many requests carrying the poison are refused before it is accepted.
        public int RefuseAtMost = int.MaxValue;

        public volatile bool PoisonAccepted;

        // A refusal waits (in real time, 10 s at most) until the collector has accepted this many messages.
        public volatile int HoldRefusalUntilDelivered;

        public HttpStatusCode RefusalStatus = HttpStatusCode.InternalServerError;

        // Down: every request fails (connection refused), the poison's too; counted in Attempts either way.
        public volatile bool Down;
        public int Attempts;

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref Attempts);
            if (Down)
            {
                throw new HttpRequestException("Connection refused (test collector is down).");
            }

            var body = await request.Content!.ReadAsByteArrayAsync(cancellationToken);
            var messages = WireBody.BatchMessages(body);
            var poisoned = messages
                .SelectMany(m => m.GetProperty("attributes").EnumerateArray())
                .Any(a => a.GetProperty("name").GetString() == "n" && a.GetProperty("value").GetInt64() == Poison);
            if (poisoned && !AcceptPoison && Volatile.Read(ref Refused) < RefuseAtMost)
            {
                var held = System.Diagnostics.Stopwatch.StartNew();
                while (Volatile.Read(ref Delivered) < HoldRefusalUntilDelivered && held.Elapsed < TimeSpan.FromSeconds(10))
                {
                    await Task.Delay(5, cancellationToken);
                }

                Interlocked.Increment(ref Refused);
                lock (_gate)
                {
                    LargestRefusedRequest = Math.Max(LargestRefusedRequest, messages.Count);
                }

                return new HttpResponseMessage(RefusalStatus);
            }

            if (poisoned)
            {
                PoisonAccepted = true;
            }

            Interlocked.Add(ref Delivered, messages.Count);
            return new HttpResponseMessage(HttpStatusCode.OK);
        }
    }

    // The tries the pauses let go may still be on their way on a busy machine: waited for in real time (10 s at most).
    private static async Task MoreAttemptsThanAsync(Func<int> collectorAttempts, int attempts)
    {
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (collectorAttempts() <= attempts && waited.Elapsed < TimeSpan.FromSeconds(10))
        {
            await Task.Delay(10);
        }
    }
}
