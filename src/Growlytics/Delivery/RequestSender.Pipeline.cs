using System.Globalization;
using GrowlyticsSdk.Diagnostics;
using GrowlyticsSdk.Polyfills;
using GrowlyticsSdk.Threading;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using Polly.Timeout;

namespace GrowlyticsSdk.Delivery;

/// <summary>The sender's Polly pipeline: which outcomes are retried, how long a retry waits, and when the circuit opens.</summary>
internal sealed partial class RequestSender
{
    // How soon a batch the half-open circuit refused (its probe still running) looks again.
    private static readonly TimeSpan HalfOpenRecheck = TimeSpan.FromSeconds(1);

    // The break of a circuit opened while most of a round was still in flight (see BreakFor).
    private static readonly TimeSpan PrematureBreak = TimeSpan.FromSeconds(1);

    // Polly's MinimumThroughput: the answers the failure ratio is judged on.
    private const int MinimumAnswers = 8;

    // The circuit breaker, run inside the retry by ThroughCircuitAsync (see BuildPipeline).
    private ResiliencePipeline<HttpResponseMessage> _breaker = null!;

    // Completes when the half-open circuit's probe has its answer (the circuit opens again or closes); completed while no
    // probe runs.
    private TaskCompletionSource<bool> _probe = Completed();

    // The longest a retry waits for the probe's answer: the probe's attempt ends within RequestTimeout.
    private TimeSpan _probeWaitLimit;

    private ResiliencePipeline<HttpResponseMessage> BuildPipeline(GrowlyticsOptions options)
    {
        var builder = new ResiliencePipelineBuilder<HttpResponseMessage> { TimeProvider = options.TimeProvider };
        builder.AddTimeout(new TimeoutStrategyOptions
        {
            Timeout = options.RetryBudget,
            OnTimeout = args =>
            {
                // The batch's budget ran out (Polly says so with a TimeoutRejectedException): the log says that, not a timeout.
                if (args.Context.Properties.TryGetValue(AttemptKey, out var state))
                {
                    state.BudgetSpent = true;
                }

                return default;
            },
        });
        if (options.MaxRetryAttempts > 0)
        {
            builder.AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                // Counted here in attempts that went on the wire (see RetriesLeft): one the open circuit refuses before it
                // reaches the wire is no retry, and an outage must not use up a batch's retries while nothing is tried.
                // RetryBudget bounds the whole.
                MaxRetryAttempts = int.MaxValue,
                ShouldHandle = args => new ValueTask<bool>(ShouldRetry(args.Outcome, args.Context.CancellationToken) && RetriesLeft(args.Context, options)),
                DelayGenerator = args => new ValueTask<TimeSpan?>(NextDelay(args.AttemptNumber, args.Outcome, args.Context, options)),
                OnRetry = args =>
                {
                    if (args.Context.Properties.TryGetValue(AttemptKey, out var state) && state.HoldsSlot)
                    {
                        // The open circuit refused the first attempt before it went on the wire: the slot taken for it is
                        // given back, since a batch waiting out a backoff (for the circuit too) holds none.
                        state.HoldsSlot = false;
                        _limiter.Release();
                    }

                    if (state is not null)
                    {
                        WaitsForRetry(state, args.RetryDelay, args.Outcome.Exception);
                        state.RefusedByCircuit = args.Outcome.Exception is BrokenCircuitException;
                    }

                    options.RetryDelayObserver?.Invoke(args.RetryDelay);
                    if (args.Outcome.Exception is BrokenCircuitException)
                    {
                        // The open circuit refused the attempt before it went on the wire: no HTTP attempt failed, so
                        // none is counted as retried or logged (the attempt that opened the circuit was).
                        return default;
                    }

                    if (state is not null)
                    {
                        state.LastFailure = Describe(args.Outcome);

                        // Counted when the retry goes on the wire (PostOnceAsync): a backoff that the batch's RetryBudget
                        // or a shutdown ends is no retry.
                        state.RetryOwed = true;
                    }

                    if (_retryReports.TryReport(out var count))
                    {
                        Log.Retrying(_logger, count, Describe(args.Outcome), args.RetryDelay);
                    }

                    return default;
                },
            });
        }

        // Polly's circuit breaker measures its window and its break on the wall clock (GetUtcNow): in a pipeline of its
        // own with a steady one, a system clock set back does not hold the circuit open (and every batch waiting on it)
        // for the size of the step. (The timeout and the retry wait on timers, and keep the client's provider: with the
        // system's, Polly pools their cancellation sources.)
        var breaker = new ResiliencePipelineBuilder<HttpResponseMessage> { TimeProvider = SteadyClock.For(options.TimeProvider) };
        breaker.AddCircuitBreaker(new CircuitBreakerStrategyOptions<HttpResponseMessage>
        {
            // Opens when most requests fail (an outage), so it is probed every BreakDuration instead of hammered;
            // a minority of failures (one slow partition, a flaky proxy) never opens it. Over the latest 5 s: the
            // successes of a busy client's last 30 s held it closed through an outage of 10-30 s (a probe: some 15,000
            // failed requests, 750 a second, and 2,257 messages out of retries in a 20 s outage).
            FailureRatio = 0.8,
            MinimumThroughput = MinimumAnswers,
            SamplingDuration = TimeSpan.FromSeconds(5),
            BreakDurationGenerator = _ => new ValueTask<TimeSpan>(BreakBegins(BreakFor(options))),
            StateProvider = _circuit,
            OnHalfOpened = _ =>
            {
                Interlocked.Exchange(ref _probe, new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously));
                return default;
            },
            OnClosed = _ =>
            {
                Volatile.Read(ref _probe).TrySetResult(true);
                return default;
            },
            OnOpened = args =>
            {
                Volatile.Read(ref _probe).TrySetResult(true);

                // The break's end was recorded as it began (BreakBegins): a shutdown waiting for quiet looks again.
                CheckQuiet();

                // An outage is otherwise visible only as retries (event 2003): said once per interval, with how many
                // times it opened since.
                if (_circuitReports.TryReport(out var count))
                {
                    Log.CircuitOpened(_logger, _target, args.BreakDuration, count);
                }

                return default;
            },
            // A half-open circuit's probe that ended without an answer (its batch's RetryBudget or a shutdown cancelled it)
            // says nothing of a recovery: it reopens the circuit. (Taken as a success, it closed it, and every waiting
            // retry went to the service that had not answered.)
            ShouldHandle = args => new ValueTask<bool>(
                (ShouldRetry(args.Outcome, args.Context.CancellationToken) && !AsksToSlowDown(args.Outcome))
                || (args.Outcome.Exception is OperationCanceledException && _circuit.CircuitState == CircuitState.HalfOpen)),
        });
        _breaker = breaker.Build();
        _probeWaitLimit = options.RequestTimeout + HalfOpenRecheck;
        return builder.Build();
    }

    // One attempt through the circuit breaker. A retry that finds the half-open circuit's probe still running waits for its
    // answer (within _probeWaitLimit) instead of being refused, and looking again, every second or sooner while the probe
    // hangs: with a request per partition waiting, hundreds of wake-ups a second in an outage. A new batch's first attempt
    // (which holds a slot) is refused at once as before; it waits out of its slot, as a retry.
    private async ValueTask<HttpResponseMessage> ThroughCircuitAsync(ResilienceContext context, AttemptState state)
    {
        WaitEnded(state);
        var probe = Volatile.Read(ref _probe).Task;
        if (!probe.IsCompleted && !state.HoldsSlot)
        {
            using var waited = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken);
            await Task.WhenAny(probe, TaskCompat.Delay(_time, _probeWaitLimit, waited.Token)).ConfigureAwait(false);
            waited.Cancel();
            context.CancellationToken.ThrowIfCancellationRequested();
        }

        if (Volatile.Read(ref _keyRefusedStatus) is var refused and not 0)
        {
            // The service refused the key since this batch was taken (its retry waited, or it was started as the refusal
            // came in): not sent with that key, and not past the circuit, whose health it says nothing about. Dropped as
            // Unauthorized with everything else held then (see KeyRefused).
            throw new KeyRefusedException(refused);
        }

        return await ExecutePastCircuitAsync(context, state).ConfigureAwait(false);
    }

    private static TaskCompletionSource<bool> Completed()
    {
        var source = new TaskCompletionSource<bool>();
        source.SetResult(true);
        return source;
    }

    // How long the circuit stays open. Failures often answer first (a load balancer's 503, a reset): with REST's 32 requests
    // in flight the first 8 answers of a round with a quarter failing were all failures, and the circuit opened for the
    // whole break while most of the round was still to answer (goodput 2-9 % of healthy). Opened while more requests are
    // still in flight than the failures that opened it, it is probed again after a short break: those answers decide.
    // (A larger MinimumThroughput instead kept a small client's outage from ever opening it: its few batches ran out
    // of retries.)
    private TimeSpan BreakFor(GrowlyticsOptions options)
    {
        // Requests answered 2xx since the circuit last opened: the rest of the round that a short break waited for
        // succeeded, so a probe that fails after it is one failure among them, not an outage.
        var successes = Interlocked.Read(ref _successes);
        var answeredSinceLastBreak = successes > Interlocked.Exchange(ref _successesAtBreak, successes);
        return (_limiter.Active > MinimumAnswers || answeredSinceLastBreak) && options.CircuitBreakDuration > PrematureBreak
            ? PrematureBreak
            : options.CircuitBreakDuration;
    }

    private static bool ShouldRetry(Outcome<HttpResponseMessage> outcome, CancellationToken token) => outcome switch
    {
        { Result: { } response } => IsTransient((int)response.StatusCode),
        { Exception: HttpRequestException or TimeoutRejectedException or BrokenCircuitException or IOException } => true,

        // An HttpClient timeout surfaces as a cancellation that nobody asked for.
        { Exception: OperationCanceledException } => !token.IsCancellationRequested,
        _ => false,
    };

    // A 429, or any answer with Retry-After: the service is up and says when to come back. The client slows down for it
    // (ConcurrencyLimiter.OnOverload) and the retry waits what it asks; it is no sign of an outage, so it never opens the
    // circuit (whose break, 15 s by default, would replace the wait the service asked for).
    private static bool AsksToSlowDown(Outcome<HttpResponseMessage> outcome) =>
        outcome.Result is { } response && ((int)response.StatusCode == 429 || RetryDelays.RetryAfterOf(response.Headers) is not null);

    // Whether the batch has retries left: MaxRetryAttempts counts the attempts that went on the wire after the first,
    // except those answered with a request to slow down (a retried 429, or one carrying Retry-After): RetryBudget bounds them.
    private static bool RetriesLeft(ResilienceContext context, GrowlyticsOptions options) =>
        !context.Properties.TryGetValue(AttemptKey, out var state) || state.WireAttempts - state.SlowedAttempts <= options.MaxRetryAttempts;

    private static string Describe(Outcome<HttpResponseMessage> outcome) => outcome switch
    {
        { Result: { } response } => ((int)response.StatusCode).ToString(CultureInfo.InvariantCulture),
        { Exception: { } exception } => DescribeFailure(exception),
        _ => "unknown",
    };

    /// <summary>An attempt's failure as the log names it: its exception's type and what kind of failure it is.</summary>
    private static string DescribeFailure(Exception exception) => exception.GetType().Name + TransportDetail(exception);

    // What kind of transport failure, for the log: an error code, never a message (which may carry a host's answer).
    private static string TransportDetail(Exception exception)
    {
        if (exception is OperationCanceledException)
        {
            // Not the SDK's own cancellation (a timeout, the budget and a shutdown end the attempt with its token, and are
            // not failures): the HttpClient's Timeout, which .NET reports as a cancellation (with a TimeoutException inside
            // from .NET 5 on), or a handler of the app's that cancelled. Said as such, so it does not read as the app's.
            return exception.InnerException is TimeoutException ? " (HttpClient.Timeout)" : " (HttpClient.Timeout, or a handler that cancelled)";
        }

#if NET8_0_OR_GREATER
        if (exception is HttpRequestException { HttpRequestError: not HttpRequestError.Unknown and var error })
        {
            return " (" + error.ToString() + ")";
        }
#endif
        return exception.InnerException is System.Net.Sockets.SocketException socket
            ? " (" + socket.SocketErrorCode.ToString() + ")"
            : string.Empty;
    }

    private TimeSpan? NextDelay(int attempt, Outcome<HttpResponseMessage> outcome, ResilienceContext context, GrowlyticsOptions options)
    {
        // The retry's place among those that go on the wire: attempts the open circuit refused do not double the wait.
        var state = context.Properties.TryGetValue(AttemptKey, out var found) ? found : null;
        if (state is not null)
        {
            attempt = Math.Max(0, state.WireAttempts - 1);
        }

        // The batch's failure is its own when the service accepted other requests since the batch was first sent and
        // failures are a minority of the latest attempts; alone, or in an outage, nothing says so. (Not "since it last
        // failed": a retry that went after a few milliseconds, before any other answer came, then doubled its next wait.)
        var isolated = state is not null
            && attempt > 0
            && Interlocked.Read(ref _successes) > state.SuccessesAtStart
            && _recent.FailuresAreAMinority;

        double random01;
        lock (_randomGate)
        {
            random01 = _random.NextDouble();
        }

        var steps = RetryDelays.Doublings(attempt, isolated);
        var backoff = RetryDelays.Backoff(steps, options.RetryBaseDelay, options.MaxRetryDelay, random01);
        // An HTTP date is on the service's clock: read against the response's Date (the service's clock too) when it has
        // one, so a device clock set ahead does not turn the wait into "now", nor one set back stretch it to the cap. A
        // date already past (read against a device clock set ahead, with no Date) waits the backoff, as no Retry-After does.
        if (outcome.Result is { } answer
            && RetryDelays.RetryAfterOf(answer.Headers) is { } retryAfter
            && RetryDelays.FromRetryAfter(retryAfter, answer.Headers.Date ?? _time.GetUtcNow(), options.MaxRetryDelay) is { } serverDelay)
        {
            // "Now" (0 seconds) waits the least a backoff waits too.
            return serverDelay < RetryDelays.MinimumBackoff ? RetryDelays.MinimumBackoff : serverDelay;
        }

        if (outcome.Exception is BrokenCircuitException { RetryAfter: { } untilClosed })
        {
            // Never longer than the circuit stays open.
            untilClosed = untilClosed > options.CircuitBreakDuration ? options.CircuitBreakDuration : untilClosed;
            if (_circuit.CircuitState == CircuitState.HalfOpen && untilClosed > HalfOpenRecheck)
            {
                // Refused while the probe runs: the circuit holds everything else for a whole break then, though a probe
                // that succeeds closes it at once (waited out, the service's return cost up to twice the break). Looked at
                // again shortly: refused again while the probe still runs, or for the new break if it failed.
                return HalfOpenRecheck;
            }

            return untilClosed > backoff ? untilClosed : backoff;
        }

        return backoff;
    }

    private sealed class AttemptState
    {
        public AttemptState(RequestSender sender, IReadOnlyList<ReadOnlyMemory<byte>> messages, bool holdsSlot)
        {
            Sender = sender;
            Messages = messages;
            HoldsSlot = holdsSlot;
        }

        public RequestSender Sender { get; }

        public IReadOnlyList<ReadOnlyMemory<byte>> Messages { get; }

        public bool HoldsSlot { get; set; }

        /// <summary>Gets or sets a value indicating whether a 2xx answer is past the circuit until the attempt has read it (see ExecutePastCircuitAsync).</summary>
        public bool AnswerInHand { get; set; }

        /// <summary>Gets the request built ahead for the first attempt that goes on the wire, or <see langword="null"/>.</summary>
        public PreparedRequest? Prepared { get; init; }

        /// <summary>Gets how many requests had succeeded when this batch's first attempt began.</summary>
        public long SuccessesAtStart { get; init; }

        /// <summary>
        /// Gets or sets the token the attempt under way was given, outside its own timeout: cancelled by a shutdown, or when
        /// the batch's <see cref="GrowlyticsOptions.RetryBudget"/> runs out.
        /// </summary>
        public CancellationToken Stopping { get; set; }

        /// <summary>Gets or sets how many attempts of this batch went on the wire (the first included).</summary>
        public int WireAttempts { get; set; }

        /// <summary>
        /// Gets or sets how many of <see cref="WireAttempts"/> were answered with a request to slow down that is retried (a
        /// 429, or a 408 or 5xx carrying <c>Retry-After</c>); they are not counted against <see cref="GrowlyticsOptions.MaxRetryAttempts"/>.
        /// </summary>
        public int SlowedAttempts { get; set; }

        /// <summary>Gets or sets the size of the body of the latest request sent for this batch.</summary>
        public int SentBytes { get; set; }

        /// <summary>Gets or sets what the latest failed attempt that was followed by a retry got (a status, or an exception's kind), for the log.</summary>
        public string? LastFailure { get; set; }

        /// <summary>Gets or sets a value indicating whether the batch's <see cref="GrowlyticsOptions.RetryBudget"/> ran out.</summary>
        public bool BudgetSpent { get; set; }

        /// <summary>Gets or sets a value indicating whether the batch is among those waiting for a retry (see WaitsForRetry).</summary>
        public bool Waiting { get; set; }

        /// <summary>Gets or sets when the retry the batch waits for is due (a timestamp of the client's clock), while it waits.</summary>
        public long RetryDueAt { get; set; }

        /// <summary>Gets or sets a value indicating whether the batch's latest attempt on the wire had no answer (a transport failure or a timeout).</summary>
        public bool Unanswered { get; set; }

        /// <summary>Gets or sets how many attempts the service had answered when the batch's latest attempt got no answer.</summary>
        public long AnswersAtFailure { get; set; }

        /// <summary>
        /// Gets or sets a value indicating whether the open circuit refused the batch's latest attempt before it went on the
        /// wire: the service was not asked, so the failure says nothing about the batch's messages. Read only when the last
        /// attempt got no answer (set at each retry, and when the last attempt fails).
        /// </summary>
        public bool RefusedByCircuit { get; set; }

        /// <summary>Gets or sets a value indicating whether an answer to this batch asked to slow down (429 or <c>Retry-After</c>).</summary>
        public bool Throttled { get; set; }

        /// <summary>
        /// Gets or sets a value indicating whether an attempt of this batch failed and was followed by a retry that has not
        /// gone on the wire yet; the retry is counted when it does.
        /// </summary>
        public bool RetryOwed { get; set; }
    }
}
