using System.Collections.Concurrent;
using System.Net;
using GrowlyticsSdk.Delivery;
using GrowlyticsSdk.Diagnostics;
using GrowlyticsSdk.Protocols;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using static GrowlyticsSdk.Tests.TestSupport.FakeClockDriver;

namespace GrowlyticsSdk.Tests.Delivery;

/// <summary>
/// What opens the circuit and what a batch's retries are spent on: a 429 or a <c>Retry-After</c> asks the client to slow
/// down (it is no outage), and an attempt the open circuit refuses before it reaches the wire is no retry.
/// </summary>
public sealed class CircuitAndThrottlingTests
{
    private static readonly ReadOnlyMemory<byte>[] Message = ["{}"u8.ToArray()];
    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(100);

    [Theory]
    [InlineData(429, true)]
    [InlineData(429, false)]
    [InlineData(503, true)]
    public async Task SendAsync_EightAtOnceAskedToComeBackInASecond_AreRetriedAfterThatSecondNotAfterACircuitBreak(int status, bool retryAfter)
    {
        var time = new FakeTimeProvider();
        var options = Options(time, maxRetryAttempts: 6);
        var answers = new Answers(first: 8, status, retryAfter ? TimeSpan.FromSeconds(1) : null);
        using var http = new HttpClient(answers);
        var limiter = new ConcurrencyLimiter(8, time, () => { });
        var sender = new RequestSender(options, WireProtocols.Create(options), () => http, limiter, new DeliveryCounters(), NullLogger.Instance);

        var sends = SendEightAtOnce(sender, limiter);

        await WaitUntilAsync(() => answers.Count == 8);

        // Retry-After: 1 s; without it a 429's backoff (RetryBaseDelay 100 ms, doubled per retry, at most 3.2 s with the
        // defaults); either way well within the 15 s the circuit would stay open.
        (await AdvanceUntilAsync(time, Task.WhenAll(sends), TimeSpan.FromSeconds(10), Step)).Should().BeTrue(
            "a 429 or a Retry-After says the service is up: the retries wait what it asks, not a circuit break of 15 s");
        foreach (var send in sends)
        {
            (await send).Should().ContainSingle().Which.Outcome.Should().Be(SendOutcome.Delivered);
        }
    }

    [Fact]
    public async Task SendAsync_EightAtOnceAnswered503WithoutRetryAfter_OpenTheCircuit_AndTheLogSaysSoOnce()
    {
        var time = new FakeTimeProvider();
        var options = Options(time, maxRetryAttempts: 6);
        var answers = new Answers(first: 8, 503, retryAfter: null);
        using var http = new HttpClient(answers);
        var limiter = new ConcurrencyLimiter(8, time, () => { });
        var logs = new TestSupport.DeliveryLog();
        var sender = new RequestSender(options, WireProtocols.Create(options), () => http, limiter, new DeliveryCounters(), logs);

        var sends = SendEightAtOnce(sender, limiter);

        await WaitUntilAsync(() => answers.Count == 8);
        (await AdvanceUntilAsync(time, Task.WhenAll(sends), TimeSpan.FromSeconds(10), Step)).Should().BeFalse("an outage opens the circuit for 15 s");
        answers.Count.Should().Be(8, "nothing is tried while the circuit is open");
        var opened = logs.WithId(2020).Should().ContainSingle("the circuit opening is what an operator needs to see of an outage").Subject;
        opened.Level.Should().Be(Microsoft.Extensions.Logging.LogLevel.Warning);
        opened.Fields["BreakDuration"].Should().Be(TimeSpan.FromSeconds(15));
        opened.Text.Should().Contain("collector.test");
        (await AdvanceUntilAsync(time, Task.WhenAll(sends), TimeSpan.FromSeconds(60), Step)).Should().BeTrue();
    }

    [Fact]
    public async Task SendAsync_AnOutageThatReopensTheCircuit_IsLoggedAtMostOnceAMinuteWithTheOpeningsSince()
    {
        var time = new FakeTimeProvider();
        var options = Options(time, maxRetryAttempts: 6);
        var answers = new Answers(first: int.MaxValue, 503, retryAfter: null);
        using var http = new HttpClient(answers);
        var limiter = new ConcurrencyLimiter(8, time, () => { });
        var logs = new TestSupport.DeliveryLog();
        var loggedAt = new ConcurrentQueue<DateTimeOffset>();
        logs.BeforeLog = id =>
        {
            if (id == 2020)
            {
                loggedAt.Enqueue(time.GetUtcNow());
            }
        };
        var sender = new RequestSender(options, WireProtocols.Create(options), () => http, limiter, new DeliveryCounters(), logs);

        // An outage for the whole RetryBudget: the circuit opens, and each probe (one per 15 s break) fails and opens it again.
        var sends = SendEightAtOnce(sender, limiter);
        await WaitUntilAsync(() => answers.Count == 8);
        (await AdvanceUntilAsync(time, Task.WhenAll(sends), TimeSpan.FromMinutes(3), TimeSpan.FromSeconds(1))).Should().BeTrue();

        var openings = 1 + answers.Count - 8;
        openings.Should().BeGreaterThan(6, "the circuit opened again after each failed probe");
        var lines = logs.WithId(2020).ToList();
        lines.Should().HaveCountGreaterThan(1).And.HaveCountLessThan(openings);
        var times = loggedAt.ToList();
        times.Zip(times.Skip(1), (earlier, later) => later - earlier).Should().OnlyContain(gap => gap >= TimeSpan.FromMinutes(1), "event 2020 is written at most once a minute");
        lines[1].Fields["Count"].Should().BeOfType<long>().Which.Should().BeGreaterThan(1, "the line carries the openings since the one before");
        lines.Sum(l => (long)l.Fields["Count"]!).Should().BeLessThanOrEqualTo(openings);
    }

    [Theory]
    [InlineData(2, 8, true)]
    [InlineData(3, 8, false)]
    [InlineData(0, 7, false)]
    public async Task SendAsync_FailedShareOfTheLatestAnswers_OpensTheCircuitFromEightyPercentOfAtLeastEight(int successes, int failures, bool opens)
    {
        var time = new FakeTimeProvider();
        var options = Options(time, maxRetryAttempts: 6);
        var retries = 0;
        options.RetryDelayObserver = _ => Interlocked.Increment(ref retries);
        using var accepting = new HttpClient(new Answers(first: 0, 200, retryAfter: null));
        using var failing = new HttpClient(new Answers(first: int.MaxValue, 503, retryAfter: null));
        var http = accepting;
        var limiter = new ConcurrencyLimiter(16, time, () => { });
        var sender = new RequestSender(options, WireProtocols.Create(options), () => http, limiter, new DeliveryCounters(), NullLogger.Instance);
        for (var i = 0; i < successes; i++)
        {
            (await sender.SendAsync(Message, holdsSlot: false, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(20))).Should().ContainSingle().Which.Outcome.Should().Be(SendOutcome.Delivered);
        }

        // Then the failures, within the same 5 s: each waits for its retry (the clock stands still) once the breaker has it.
        http = failing;
        using var shutdown = new CancellationTokenSource();
        var sends = Enumerable.Range(0, failures).Select(_ => sender.SendAsync(Message, holdsSlot: false, shutdown.Token)).ToList();
        await WaitUntilAsync(() => Volatile.Read(ref retries) == failures);

        sender.CircuitIsOpen.Should().Be(opens, "the circuit opens when at least 80 % of at least 8 answers failed ({0} of {1})", failures, successes + failures);
        shutdown.Cancel();
        await Task.WhenAll(sends).WaitAsync(TimeSpan.FromSeconds(20));
    }

    [Theory]
    [InlineData(8, 15)]
    [InlineData(9, 1)]
    public async Task SendAsync_CircuitOpensWithRequestsStillOnTheWire_BreaksForASecondOnlyWithMoreThanTheEightFailures(int onTheWire, int breakSeconds)
    {
        var time = new FakeTimeProvider();
        var options = Options(time, maxRetryAttempts: 6);
        var hanging = new HangsFirst(onTheWire);
        using var http = new HttpClient(hanging);
        var limiter = new ConcurrencyLimiter(32, time, () => { });
        var sender = new RequestSender(options, WireProtocols.Create(options), () => http, limiter, new DeliveryCounters(), NullLogger.Instance);
        using var shutdown = new CancellationTokenSource();

        // Requests on the wire that have not answered yet, then eight that fail at once and open the circuit.
        var sends = Enumerable.Range(0, onTheWire).Select(_ => sender.SendAsync(Message, holdsSlot: false, shutdown.Token)).ToList();
        await WaitUntilAsync(() => hanging.Count == onTheWire);
        sends.AddRange(Enumerable.Range(0, 8).Select(_ => sender.SendAsync(Message, holdsSlot: false, shutdown.Token)));
        await WaitUntilAsync(() => sender.CircuitIsOpen);

        sender.CircuitOpenFor.Should().Be(TimeSpan.FromSeconds(breakSeconds), "the rest of the round decides only when more requests are in flight than the failures that opened it");
        shutdown.Cancel();
        await Task.WhenAll(sends).WaitAsync(TimeSpan.FromSeconds(20));
    }

    [Theory]
    [InlineData(200, true)]
    [InlineData(400, false)]
    public async Task SendAsync_AnswerNotRetriedThatCarriesRetryAfter_HalvesTheLimit_ButGivesItsSlotBackAtOnce(int status, bool delivered)
    {
        // Only a retried answer (408, 429, 5xx) keeps its slot until its Retry-After: nothing is retried after a delivery
        // or a refusal, and a slot held for 5 s after it would keep every other batch from the wire meanwhile.
        var time = new FakeTimeProvider();
        var options = Options(time, maxRetryAttempts: 6);
        using var http = new HttpClient(new Answers(first: 1, status, retryAfter: TimeSpan.FromSeconds(5)));
        var limiter = new ConcurrencyLimiter(2, time, () => { });
        var sender = new RequestSender(options, WireProtocols.Create(options), () => http, limiter, new DeliveryCounters(), NullLogger.Instance);

        var result = await sender.SendAsync(Message, holdsSlot: false, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(20));

        result.Should().ContainSingle().Which.Outcome.Should().Be(delivered ? SendOutcome.Delivered : SendOutcome.Dropped);
        limiter.Limit.Should().Be(1, "a Retry-After asks the whole client to slow down");
        limiter.TryAcquireForNew().Should().BeTrue("the slot is free as the answer comes, not 5 s later");
    }

    [Fact]
    public async Task SendAsync_429WithoutRetryAfter_MaxRetryDelayUnderASecond_HoldsTheSlotOnlyThatLong()
    {
        // A bare 429 keeps its slot for a second, at most MaxRetryDelay: the one retry waiting for the only slot goes then.
        var time = new FakeTimeProvider();
        var options = Options(time, maxRetryAttempts: 6);
        options.MaxRetryDelay = TimeSpan.FromMilliseconds(300);
        var answers = new Answers(first: 1, 429, retryAfter: null);
        using var http = new HttpClient(answers);
        var limiter = new ConcurrencyLimiter(1, time, () => { });
        var sender = new RequestSender(options, WireProtocols.Create(options), () => http, limiter, new DeliveryCounters(), NullLogger.Instance);

        var send = sender.SendAsync(Message, holdsSlot: false, CancellationToken.None);
        await WaitUntilAsync(() => answers.Count == 1);

        (await AdvanceUntilAsync(time, send, TimeSpan.FromMilliseconds(600), TimeSpan.FromMilliseconds(50))).Should().BeTrue(
            "the slot is given back after MaxRetryDelay (300 ms), not a second");
        (await send).Should().ContainSingle().Which.Outcome.Should().Be(SendOutcome.Delivered);
        answers.Count.Should().Be(2);
    }

    [Fact]
    public async Task SendAsync_RetriesRefusedByTheOpenCircuit_DoNotUseUpMaxRetryAttempts()
    {
        var time = new FakeTimeProvider();
        var options = Options(time, maxRetryAttempts: 1);
        var answers = new Answers(first: 8, 503, retryAfter: null);
        using var http = new HttpClient(answers);
        var limiter = new ConcurrencyLimiter(8, time, () => { });
        var counters = new DeliveryCounters();
        var sender = new RequestSender(options, WireProtocols.Create(options), () => http, limiter, counters, NullLogger.Instance);

        // An outage of one round: eight batches fail at once (the circuit opens); the service is back after that.
        var sends = SendEightAtOnce(sender, limiter);
        await WaitUntilAsync(() => answers.Count == 8);
        (await AdvanceUntilAsync(time, Task.WhenAll(sends), TimeSpan.FromSeconds(90), Step)).Should().BeTrue();

        // Each batch's one retry went on the wire once the circuit let it: none ran out while the circuit refused it.
        foreach (var send in sends)
        {
            (await send).Should().ContainSingle().Which.Outcome.Should().Be(SendOutcome.Delivered);
        }

        answers.Count.Should().Be(16, "eight first attempts and eight retries, each on the wire once");
        counters.Retried.Should().Be(8);
    }

    [Fact]
    public async Task SendAsync_RetriesAfterRefusalsByTheOpenCircuit_WaitTheBackoffOfTheirPlaceOnTheWire()
    {
        var time = new FakeTimeProvider();
        var options = Options(time, maxRetryAttempts: 4);
        var answers = new Answers(first: int.MaxValue, 503, retryAfter: null);
        var chosen = new ConcurrentQueue<(TimeSpan Delay, int OnTheWire)>();
        options.RetryDelayObserver = delay => chosen.Enqueue((delay, answers.Count));
        using var http = new HttpClient(answers);
        var limiter = new ConcurrencyLimiter(8, time, () => { });
        var sender = new RequestSender(options, WireProtocols.Create(options), () => http, limiter, new DeliveryCounters(), NullLogger.Instance);

        // An outage opens the circuit: eight batches fail at once, then are abandoned.
        using (var stop = new CancellationTokenSource())
        {
            var openers = Enumerable.Range(0, 8).Select(_ => sender.SendAsync(Message, holdsSlot: false, stop.Token)).ToList();
            await WaitUntilAsync(() => answers.Count == 8);
            await stop.CancelAsync();
            await Task.WhenAll(openers);
        }

        chosen.Clear();
        var before = answers.Count;

        // One more batch: refused while the circuit is open, tried by each probe, refused again when the probe fails.
        var batch = sender.SendAsync(Message, holdsSlot: false, CancellationToken.None);
        (await AdvanceUntilAsync(time, batch, TimeSpan.FromMinutes(3), TimeSpan.FromMilliseconds(500))).Should().BeTrue();
        (await batch).Should().ContainSingle().Which.Outcome.Should().Be(SendOutcome.Dropped);
        answers.Count.Should().Be(before + 5, "the first attempt and four retries went on the wire");

        // Each wait chosen right after a failure on the wire is within the ceiling of that retry's place on the wire
        // (100 ms doubled per retry); refusals in between do not double it.
        var onTheWire = before;
        var retry = 0;
        foreach (var (delay, count) in chosen)
        {
            if (count > onTheWire)
            {
                delay.Should().BeLessThanOrEqualTo(TimeSpan.FromMilliseconds(100 * Math.Pow(2, retry)), "retry {0} on the wire", retry);
                retry++;
            }

            onTheWire = count;
        }

        retry.Should().Be(4);
    }

    [Theory]
    [InlineData(GrowlyticsProtocol.Rest, 2)]
    [InlineData(GrowlyticsProtocol.Rest, 1)]
    [InlineData(GrowlyticsProtocol.Batch, 2)]
    public async Task SendAsync_AMinorityFailingFasterThanSuccessesAnswer_DoesNotOpenTheCircuit(GrowlyticsProtocol protocol, int failingInFive)
    {
        // A load balancer's 503 or a reset comes back before the service's real work: with as many requests in flight as
        // the protocol allows, the first answers of a round are its failures. They are a minority (40 % or 20 %), not an
        // outage, so they must not open the circuit (15 s without sending).
        var time = new FakeTimeProvider();
        var options = Options(time, maxRetryAttempts: 6);
        options.Protocol = protocol;
        var answers = new FastFailures(time, failingInFive, successAfter: TimeSpan.FromMilliseconds(5));
        using var http = new HttpClient(answers);
        var inFlight = options.EffectiveMaxConcurrentRequests;
        var limiter = new ConcurrencyLimiter(inFlight, time, () => { });
        var sender = new RequestSender(options, WireProtocols.Create(options), () => http, limiter, new DeliveryCounters(), NullLogger.Instance);

        var sends = new List<Task<List<SendResult>>>();
        for (var i = 0; i < inFlight; i++)
        {
            limiter.TryAcquireForNew().Should().BeTrue();
            sends.Add(sender.SendAsync(Message, holdsSlot: true, CancellationToken.None));
        }

        (await AdvanceUntilAsync(time, Task.WhenAll(sends), TimeSpan.FromSeconds(12), TimeSpan.FromMilliseconds(20))).Should().BeTrue(
            "{0} of every 5 requests failing is no outage: the failed ones are retried within their backoff, not after a circuit break", failingInFive);
        foreach (var send in sends)
        {
            (await send).Should().ContainSingle().Which.Outcome.Should().Be(SendOutcome.Delivered);
        }
    }

    [Fact]
    public async Task SendAsync_RefusedWhileTheProbeRuns_GoSoonAfterItSucceeds_NotAnotherBreakLater()
    {
        // An outage opens the circuit; when its break ends one retry goes as the probe (answered after 1 s) and the
        // others, refused while it runs, must not wait a second break of 15 s once it has succeeded.
        var time = new FakeTimeProvider();
        var options = Options(time, maxRetryAttempts: 6);
        var answers = new SlowProbe(time, failing: 8, probeAnswersAfter: TimeSpan.FromSeconds(1));
        using var http = new HttpClient(answers);
        var limiter = new ConcurrencyLimiter(8, time, () => { });
        var sender = new RequestSender(options, WireProtocols.Create(options), () => http, limiter, new DeliveryCounters(), NullLogger.Instance);

        var sends = SendEightAtOnce(sender, limiter);
        await WaitUntilAsync(() => answers.Count == 8);

        (await AdvanceUntilAsync(time, Task.WhenAll(sends), TimeSpan.FromSeconds(20), Step)).Should().BeTrue(
            "the break is 15 s and the probe takes 1 s: the refused retries follow it within a few seconds");
        foreach (var send in sends)
        {
            (await send).Should().ContainSingle().Which.Outcome.Should().Be(SendOutcome.Delivered);
        }
    }

    [Fact]
    public async Task SendAsync_RefusedWhileASlowProbeRuns_WaitForItsAnswer_NotLookingAgainEverySecond()
    {
        // A service that hangs: the probe after the break takes 8 s. The seven retries it refused looked at the circuit
        // again every second meanwhile (with a request per partition waiting, one wake-up per partition a second in a long outage).
        var time = new FakeTimeProvider();
        var options = Options(time, maxRetryAttempts: 6);
        var refusedDuringProbe = 0;
        var answers = new SlowProbe(time, failing: 8, probeAnswersAfter: TimeSpan.FromSeconds(8));
        options.RetryDelayObserver = _ =>
        {
            if (answers.Count > 8)
            {
                Interlocked.Increment(ref refusedDuringProbe);
            }
        };
        using var http = new HttpClient(answers);
        var limiter = new ConcurrencyLimiter(8, time, () => { });
        var sender = new RequestSender(options, WireProtocols.Create(options), () => http, limiter, new DeliveryCounters(), NullLogger.Instance);

        var sends = SendEightAtOnce(sender, limiter);
        await WaitUntilAsync(() => answers.Count == 8);

        (await AdvanceUntilAsync(time, Task.WhenAll(sends), TimeSpan.FromSeconds(30), Step)).Should().BeTrue(
            "the break is 15 s and the probe takes 8 s: the refused retries follow it");
        foreach (var send in sends)
        {
            (await send).Should().ContainSingle().Which.Outcome.Should().Be(SendOutcome.Delivered);
        }

        refusedDuringProbe.Should().BeLessThanOrEqualTo(14, "a retry the probe's circuit refused waits for the probe's answer, not a second at a time");
    }

    [Fact]
    public async Task BusyClientThenFullOutage_CircuitProbesOncePerBreak()
    {
        var time = new FakeTimeProvider();
        var options = Options(time, maxRetryAttempts: 6);
        options.Protocol = GrowlyticsProtocol.Rest;
        var start = time.GetUtcNow();
        var log = new System.Collections.Concurrent.ConcurrentQueue<double>();
        var answers = new Answering(async (request, token) =>
        {
            var at = (time.GetUtcNow() - start).TotalSeconds;
            if (at >= 1)
            {
                log.Enqueue(at);
                return new HttpResponseMessage(HttpStatusCode.ServiceUnavailable);
            }

            await Task.Delay(TimeSpan.FromMilliseconds(5), time, token);
            return new HttpResponseMessage(HttpStatusCode.OK);
        });
        using var http = new HttpClient(answers);
        var inFlight = options.EffectiveMaxConcurrentRequests;
        var limiter = new ConcurrencyLimiter(inFlight, time, () => { });
        var sender = new RequestSender(options, WireProtocols.Create(options), () => http, limiter, new DeliveryCounters(), NullLogger.Instance);

        var healthy = new List<Task<List<SendResult>>>();
        for (var i = 0; i < inFlight; i++)
        {
            limiter.TryAcquireForNew().Should().BeTrue();
            healthy.Add(sender.SendAsync(Message, holdsSlot: true, CancellationToken.None));
        }

        (await AdvanceUntilAsync(time, Task.WhenAll(healthy), TimeSpan.FromSeconds(1), TimeSpan.FromMilliseconds(10))).Should().BeTrue();
        time.Advance(TimeSpan.FromSeconds(1));
        var outage = new List<Task<List<SendResult>>>();
        for (var i = 0; i < inFlight; i++)
        {
            limiter.TryAcquireForNew().Should().BeTrue();
            outage.Add(sender.SendAsync(Message, holdsSlot: true, CancellationToken.None));
        }

        await AdvanceUntilAsync(time, Task.WhenAll(outage), TimeSpan.FromSeconds(40), TimeSpan.FromMilliseconds(50));
        var times = log.ToArray();
        var late = times.Where(t => t >= 5).ToArray();
        late.Length.Should().BeLessThanOrEqualTo(4, "past the first seconds of an outage, the open circuit probes once per 15 s break: {0}", string.Join(" ", times.Select(t => t.ToString("F2"))));
    }

    [Theory]
    [InlineData(8)]
    [InlineData(32)]
    public async Task KeyHandlerMissing_TheRequestsOfTheFirstRoundAreNoOutage(int batches)
    {
        // The factory's primary handler replaced after AddGrowlytics: the first round goes without the key (401s, refused
        // by the SDK as "sent without the key") and is tried again with the key on the request.
        var time = new FakeTimeProvider();
        var options = Options(time, maxRetryAttempts: 6);
        options.Protocol = GrowlyticsProtocol.Rest;
        var withoutKey = 0;
        var answers = new Answering(async (request, token) =>
        {
            if (!request.Headers.Contains("x-growlytics-key"))
            {
                Interlocked.Increment(ref withoutKey);
                return new HttpResponseMessage(HttpStatusCode.Unauthorized);
            }

            await Task.Delay(TimeSpan.FromMilliseconds(5), time, token);
            return new HttpResponseMessage(HttpStatusCode.OK);
        });
        using var http = new HttpClient(answers);
        options.HttpClientProvider = () => http;
        var limiter = new ConcurrencyLimiter(options.EffectiveMaxConcurrentRequests, time, () => { });
        var sender = new RequestSender(options, WireProtocols.Create(options), () => http, limiter, new DeliveryCounters(), NullLogger.Instance);

        var sends = new List<Task<List<SendResult>>>();
        for (var i = 0; i < batches; i++)
        {
            limiter.TryAcquireForNew().Should().BeTrue();
            sends.Add(sender.SendAsync(Message, holdsSlot: true, CancellationToken.None));
        }

        (await AdvanceUntilAsync(time, Task.WhenAll(sends), TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(20))).Should().BeTrue(
            "a missing key handler is no outage of the service: the first round is retried with the key within its backoff ({0} requests went without the key)", withoutKey);
    }

    [Fact]
    public async Task KeyHandlerMissing_PrimaryFollowsRedirects_TheKeyNeverReachesTheOtherHost()
    {
        // The replaced primary handler (never hardened: replaced after the SDK's post-configuration) follows a redirect to
        // another host, as HttpClientHandler does by default: it rewrites the request's URI and answers from there.
        var time = new FakeTimeProvider();
        var options = Options(time, maxRetryAttempts: 6);
        var atOtherHost = new ConcurrentQueue<bool>();
        var answers = new Answering((request, token) =>
        {
            request.RequestUri = new Uri("https://elsewhere.test/landing");
            atOtherHost.Enqueue(request.Headers.Contains("x-growlytics-key"));
            return Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { RequestMessage = request });
        });
        using var http = new HttpClient(answers);
        options.HttpClientProvider = () => http;
        var limiter = new ConcurrencyLimiter(options.EffectiveMaxConcurrentRequests, time, () => { });
        var sender = new RequestSender(options, WireProtocols.Create(options), () => http, limiter, new DeliveryCounters(), NullLogger.Instance);

        limiter.TryAcquireForNew().Should().BeTrue();
        var send = sender.SendAsync(Message, holdsSlot: true, CancellationToken.None);
        (await AdvanceUntilAsync(time, send, TimeSpan.FromSeconds(30), Step)).Should().BeTrue();
        (await send).Should().ContainSingle().Which.Reason.Should().Be(DropReason.Rejected);
        atOtherHost.Should().NotContain(true, "a followed redirect is refused and never retried, least of all with the key added: {0}", string.Join(",", atOtherHost));
    }

    private sealed class Answering(Func<HttpRequestMessage, CancellationToken, Task<HttpResponseMessage>> answer) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) => answer(request, cancellationToken);
    }

    // Eight batches, each with a slot taken for its first attempt: enough attempts at once to open the circuit if they fail.
    private static List<Task<List<SendResult>>> SendEightAtOnce(RequestSender sender, ConcurrencyLimiter limiter)
    {
        // All eight slots first: a fake answer comes back at once, and one that asks to come back later keeps its slot.
        for (var i = 0; i < 8; i++)
        {
            limiter.TryAcquireForNew().Should().BeTrue();
        }

        var sends = new List<Task<List<SendResult>>>();
        for (var i = 0; i < 8; i++)
        {
            sends.Add(sender.SendAsync(Message, holdsSlot: true, CancellationToken.None));
        }

        return sends;
    }

    private static GrowlyticsOptions Options(TimeProvider time, int maxRetryAttempts) => new()
    {
        ApiKey = "key",
        Endpoint = new Uri("https://collector.test/"),
        Protocol = GrowlyticsProtocol.Batch,
        TimeProvider = time,
        CircuitBreakDuration = TimeSpan.FromSeconds(15),
        MaxRetryAttempts = maxRetryAttempts,
        RetryBudget = TimeSpan.FromMinutes(2),
    };

    [Fact]
    public async Task SendAsync_AMinorityFailingFasterThanSuccesses_ProbeAfterTheShortBreakFails_NoFullBreak()
    {
        // As above with 2 in 5 failing, but the first request after the short break (the probe) is one of the failures.
        var time = new FakeTimeProvider();
        var options = Options(time, maxRetryAttempts: 6);
        options.Protocol = GrowlyticsProtocol.Rest;
        var answers = new FailingProbe(time, TimeSpan.FromMilliseconds(5));
        using var http = new HttpClient(answers);
        var inFlight = options.EffectiveMaxConcurrentRequests;
        var limiter = new ConcurrencyLimiter(inFlight, time, () => { });
        var sender = new RequestSender(options, WireProtocols.Create(options), () => http, limiter, new DeliveryCounters(), NullLogger.Instance);

        var sends = new List<Task<List<SendResult>>>();
        for (var i = 0; i < inFlight; i++)
        {
            limiter.TryAcquireForNew().Should().BeTrue();
            sends.Add(sender.SendAsync(Message, holdsSlot: true, CancellationToken.None));
        }

        (await AdvanceUntilAsync(time, Task.WhenAll(sends), TimeSpan.FromSeconds(12), TimeSpan.FromMilliseconds(20))).Should().BeTrue(
            "a failed probe after a short break taken on a round that mostly succeeded is no outage: {0}", string.Join(" ", answers.Log));
    }

    // As FastFailures with 2 in 5 failing, and the first request 900 ms or more after the start (the probe) failing too.
    private sealed class FailingProbe(TimeProvider time, TimeSpan successAfter) : HttpMessageHandler
    {
        private readonly DateTimeOffset _start = time.GetUtcNow();
        private int _count;
        private int _probeFailed;

        public System.Collections.Concurrent.ConcurrentQueue<string> Log { get; } = new();

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var n = Interlocked.Increment(ref _count) - 1;
            var probe = time.GetUtcNow() - _start >= TimeSpan.FromMilliseconds(900) && Interlocked.Exchange(ref _probeFailed, 1) == 0;
            Log.Enqueue($"{(time.GetUtcNow() - _start).TotalMilliseconds:F0}:{(probe || n % 5 < 2 ? "F" : "S")}");
            if (probe || n % 5 < 2)
            {
                return new HttpResponseMessage(HttpStatusCode.ServiceUnavailable);
            }

            await Task.Delay(successAfter, time, cancellationToken);
            return new HttpResponseMessage(HttpStatusCode.OK);
        }
    }

    // Of every five requests, the first failingInFive answer 503 at once; the others answer 200 after successAfter.
    private sealed class FastFailures(TimeProvider time, int failingInFive, TimeSpan successAfter) : HttpMessageHandler
    {
        private int _count;

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if ((Interlocked.Increment(ref _count) - 1) % 5 < failingInFive)
            {
                return new HttpResponseMessage(HttpStatusCode.ServiceUnavailable);
            }

            await Task.Delay(successAfter, time, cancellationToken);
            return new HttpResponseMessage(HttpStatusCode.OK);
        }
    }

    // The first answers are 503 at once; the next one (the probe after the break) is 200 after a delay; later ones 200 at once.
    private sealed class SlowProbe(TimeProvider time, int failing, TimeSpan probeAnswersAfter) : HttpMessageHandler
    {
        private int _count;

        public int Count => Volatile.Read(ref _count);

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var number = Interlocked.Increment(ref _count);
            if (number <= failing)
            {
                return new HttpResponseMessage(HttpStatusCode.ServiceUnavailable);
            }

            if (number == failing + 1)
            {
                await Task.Delay(probeAnswersAfter, time, cancellationToken);
            }

            return new HttpResponseMessage(HttpStatusCode.OK);
        }
    }

    // The first requests get no answer until they are cancelled; every later one is answered 503 at once.
    private sealed class HangsFirst(int hanging) : HttpMessageHandler
    {
        private int _count;

        public int Count => Volatile.Read(ref _count);

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (Interlocked.Increment(ref _count) <= hanging)
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }

            return new HttpResponseMessage(HttpStatusCode.ServiceUnavailable);
        }
    }

    // The first answers fail with status (and Retry-After if given); every later one is 200.
    private sealed class Answers(int first, int status, TimeSpan? retryAfter) : HttpMessageHandler
    {
        private int _count;

        public int Count => Volatile.Read(ref _count);

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (Interlocked.Increment(ref _count) > first)
            {
                return Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK));
            }

            var response = new HttpResponseMessage((HttpStatusCode)status);
            if (retryAfter is { } delay)
            {
                response.Headers.RetryAfter = new System.Net.Http.Headers.RetryConditionHeaderValue(delay);
            }

            return Task.FromResult(response);
        }
    }
}
