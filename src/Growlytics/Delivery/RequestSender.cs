using System.Globalization;
using GrowlyticsSdk.Diagnostics;
using GrowlyticsSdk.Protocols;
using GrowlyticsSdk.Threading;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.CircuitBreaker;

namespace GrowlyticsSdk.Delivery;

/// <summary>
/// Sends one batch through a Polly pipeline (total budget → retry → circuit breaker) whose every attempt takes a slot of
/// the <see cref="ConcurrencyLimiter"/> only for its time on the wire (with its own timeout), and maps the answer to
/// what becomes of each message: delivered, dropped with a reason, or kept for later (storage).
/// </summary>
internal sealed partial class RequestSender
{
    private static readonly TimeSpan LogInterval = TimeSpan.FromSeconds(10);
    private static readonly ResiliencePropertyKey<AttemptState> AttemptKey = new("growlytics.attempt");

    // What MessageDropped and the log give for a 2xx whose body says nothing was taken: no field, the body's word.
    private static readonly RejectionDetails NotTaken = new(null, "success:false");
    private readonly Func<HttpClient> _http;
    private readonly IWireProtocol _protocol;
    private readonly string _apiKey;
    private readonly TimeProvider _time;
    private readonly DeliveryCounters _counters;
    private readonly ILogger _logger;
    private readonly ConcurrencyLimiter _limiter;
    private readonly ResiliencePipeline<HttpResponseMessage> _pipeline;
    private readonly ResiliencePipeline _attemptTimeout;
    private readonly RedirectGuard _redirects;
    private readonly TimeSpan _maxRetryDelay;

    // Whether a request the key handler never saw was answered by an app's handler before it (see KeyHandlerWatch).
    private readonly KeyHandlerWatch? _keyWatch;

    // How long a slot whose 429 did not say when to come back (or whose Retry-After said 0) stays taken: one second, within
    // MaxRetryDelay.
    private readonly TimeSpan _unsaidRetryAfter;

    // Where requests go, for the logs: scheme, host, port and path (never user info; the endpoint has no query).
    private readonly string _target;
    private readonly LogRateLimiter _retryReports;
    private readonly RejectionReports _rejectReports;
    private readonly LogRateLimiter _exhaustedReports;
    private readonly LogRateLimiter _splitReports;
    private readonly LogRateLimiter _tooLargeReports;
    private readonly LogRateLimiter _circuitReports;
    private readonly RecentFailures _recent = new();
    private readonly CircuitBreakerStateProvider _circuit = new();
    private readonly object _randomGate = new();
    private readonly Random _random = new();
    private long _successes;

    // The status with which the service refused the key, until the dispatcher tries it again; 0 while it is not refused.
    private int _keyRefusedStatus;

    // Successes when the circuit last opened (see BreakFor).
    private long _successesAtBreak;

    // The key goes to the request for the ApiKeyHandler at the end of the handlers (AddGrowlytics's client) to add, until a
    // request shows it was not added (the named client's primary handler replaced after AddGrowlytics configured it).
    private volatile bool _keyByHandler;

    public RequestSender(GrowlyticsOptions options, IWireProtocol protocol, Func<HttpClient> http, ConcurrencyLimiter limiter, DeliveryCounters counters, ILogger logger)
    {
        _http = http;
        _protocol = protocol;
        _apiKey = options.ApiKey!;
        _keyByHandler = options.HttpClientProvider is not null;
        _keyWatch = options.KeyHandlerWatch;
        _time = options.TimeProvider;
        _limiter = limiter;
        _counters = counters;
        _logger = logger;
        _redirects = new RedirectGuard(_time, logger);
        _maxRetryDelay = options.MaxRetryDelay;
        _unsaidRetryAfter = options.MaxRetryDelay < TimeSpan.FromSeconds(1) ? options.MaxRetryDelay : TimeSpan.FromSeconds(1);
        _target = protocol.RequestUri.GetComponents(UriComponents.SchemeAndServer | UriComponents.Path, UriFormat.UriEscaped);
        _retryReports = new LogRateLimiter(_time, LogInterval);
        _rejectReports = new RejectionReports(_time, LogInterval, logger, _target);
        _exhaustedReports = new LogRateLimiter(_time, LogInterval);
        _splitReports = new LogRateLimiter(_time, LogInterval);
        _tooLargeReports = new LogRateLimiter(_time, LogInterval);
        _circuitReports = new LogRateLimiter(_time, TimeSpan.FromMinutes(1));
        // Polly's circuit breaker starts a worker of its own as it is built (it runs the breaker's callbacks, such as the
        // outage line): without the caller's context, or every later one would run in the first request's, and keep it.
        _pipeline = BackgroundWork.WithoutFlow(() => BuildPipeline(options));
        _attemptTimeout = new ResiliencePipelineBuilder { TimeProvider = _time }.AddTimeout(options.RequestTimeout).Build();
    }

    /// <summary>
    /// Gets a value indicating whether a batch whose retries ran out is kept (it stays stored and is tried again later)
    /// instead of dropped as <see cref="DropReason.RetriesExhausted"/>.
    /// </summary>
    public bool KeepOnRetriesExhausted { get; init; }

    /// <summary>
    /// The service refused the key (<paramref name="status"/>, 401 or 403): no attempt goes on the wire from now on, a
    /// retry waiting included, until <see cref="KeyAccepted"/>; such an attempt settles its batch as
    /// <see cref="DropReason.Unauthorized"/>.
    /// </summary>
    public void KeyRefused(int status) => Volatile.Write(ref _keyRefusedStatus, status);

    /// <summary>The key is tried again: attempts go on the wire again.</summary>
    public void KeyAccepted() => Volatile.Write(ref _keyRefusedStatus, 0);

    /// <summary>Gets how many requests the service has accepted so far.</summary>
    public long Successes => Interlocked.Read(ref _successes);

    /// <summary>Gets how many attempts the service has answered (any status), ever.</summary>
    public long Answers => Interlocked.Read(ref _answers);

    /// <summary>
    /// Sends the messages and says what became of each part of the batch. <paramref name="holdsSlot"/>: the caller already
    /// took a slot for the first attempt; <paramref name="prepared"/>: the request built ahead, for the first attempt that
    /// goes on the wire, if any (disposed here). Throws only <see cref="OperationCanceledException"/> when
    /// <paramref name="cancellationToken"/> is cancelled (shutdown). <paramref name="callsIn"/> gives the calls the messages
    /// from an index (and how many) settle, for the log lines, which count calls as the statistics do (a REST login carries
    /// the pushes held for it); one per message when not given.
    /// </summary>
    public async Task<List<SendResult>> SendAsync(IReadOnlyList<ReadOnlyMemory<byte>> messages, bool holdsSlot, CancellationToken cancellationToken, PreparedRequest? prepared = null, Func<int, int, long>? callsIn = null)
    {
        var results = new List<SendResult>(1);
        BatchEntered();
        try
        {
            await SendPartAsync(messages, 0, messages.Count, holdsSlot, results, cancellationToken, prepared, callsIn).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Shutdown: what a 413 split already settled stands; the rest is abandoned.
            AddRest(results, messages.Count, SendOutcome.Abandoned, DropReason.Shutdown, "canceled");
        }
#pragma warning disable CA1031 // A fault (a logger that throws) must not undo what was settled: the rest is dropped and counted.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            AddRest(results, messages.Count, SendOutcome.Dropped, DropReason.InternalError, ex.GetType().Name);
            try
            {
                Log.BatchFaulted(_logger, messages.Count, ex.GetType().Name);
            }
#pragma warning disable CA1031 // The same logger may throw again.
            catch (Exception)
#pragma warning restore CA1031
            {
            }
        }
        finally
        {
            prepared?.Dispose();
            BatchLeft();
        }

        return results;
    }

    // Results cover the batch from its start in order (a 413 split settles its first half first).
    private static void AddRest(List<SendResult> results, int total, SendOutcome outcome, DropReason reason, string description)
    {
        var covered = 0;
        foreach (var result in results)
        {
            covered = Math.Max(covered, result.Start + result.Count);
        }

        if (covered < total)
        {
            results.Add(new SendResult(covered, total - covered, outcome, reason, 0, description));
        }
    }

    // A 1xx as the final answer (101 Switching Protocols to a request that asked for no upgrade: a misconfigured gateway)
    // is no HTTP answer to the request: tried again, as a network error is.
    internal static bool IsTransient(int status) => status is 408 or 429 || status >= 500 || status < 200;

    private async Task SendPartAsync(IReadOnlyList<ReadOnlyMemory<byte>> all, int start, int count, bool holdsSlot, List<SendResult> results, CancellationToken cancellationToken, PreparedRequest? prepared = null, Func<int, int, long>? callsIn = null)
    {
        var part = Slice(all, start, count);
        var attempt = new AttemptState(this, part, holdsSlot) { Prepared = prepared, SuccessesAtStart = Successes };
        var (status, description, rejection) = await AttemptAsync(attempt, cancellationToken).ConfigureAwait(false);
        if (status is >= 200 and < 300 && rejection is null)
        {
            results.Add(new SendResult(start, count, SendOutcome.Delivered, default, status, description));
            return;
        }

        switch (status)
        {
            case 413 when count > 1:
                if (_splitReports.TryReport(out var splits))
                {
                    Log.SplittingBatch(_logger, splits, count);
                }

                var half = count / 2;
                var before = results.Count;
                await SendPartAsync(all, start, half, holdsSlot: false, results, cancellationToken, callsIn: callsIn).ConfigureAwait(false);
                if (FirstKept(results, before) is { } kept)
                {
                    // The first half is kept for a later try: the second is kept with it, unsent, so a user whose messages
                    // span both halves is never delivered out of call order (the kept ones would arrive after it).
                    results.Add(new SendResult(start + half, count - half, SendOutcome.Kept, DropReason.RetriesExhausted, kept.Status, kept.Description) { Isolated = kept.Isolated, SuccessesAtRefusal = kept.SuccessesAtRefusal, UnansweredAt = kept.UnansweredAt, RefusedByCircuit = kept.RefusedByCircuit });
                    return;
                }

                if (FirstKeyRefusal(results, before) is { } refusal)
                {
                    // The service refused the key on the first half: the batch is dropped with it, and its second half is not
                    // sent with the refused key (the dispatcher drops everything held and pauses sending).
                    results.Add(new SendResult(start + half, count - half, SendOutcome.Dropped, DropReason.Unauthorized, refusal.Status, refusal.Description));
                    return;
                }

                await SendPartAsync(all, start + half, count - half, holdsSlot: false, results, cancellationToken, callsIn: callsIn).ConfigureAwait(false);
                return;
            case 413:
                results.Add(new SendResult(start, 1, SendOutcome.Dropped, DropReason.TooLarge, status, description));
                Volatile.Write(ref _latestTooLargeBytes, part[0].Length);
                if (_tooLargeReports.TryReport(callsIn?.Invoke(start, 1) ?? 1, out var tooLarge))
                {
                    Log.MessageTooLarge(_logger, tooLarge, part[0].Length);
                }

                return;
            case var redirect when RedirectGuard.IsRedirect(redirect):
                // Logged by the guard; a redirect is never retried, followed or kept in storage.
                results.Add(new SendResult(start, count, SendOutcome.Dropped, DropReason.Rejected, status, description));
                return;
            case 401 or 403:
                // Nothing more goes with the refused key (retries waiting, batches about to start) until the dispatcher
                // tries it again: set here, as the answer comes, not when the loop hears it.
                KeyRefused(status);
                results.Add(new SendResult(start, count, SendOutcome.Dropped, DropReason.Unauthorized, status, description));
                return;
            case >= 200 and < 500 and not (408 or 429):
                // A refusal, never retried: a 4xx, any other 3xx (never followed, never a delivery), or a 2xx whose body says
                // it took nothing (REST: {"success": false}).
                results.Add(new SendResult(start, count, SendOutcome.Dropped, DropReason.Rejected, status, description, rejection));
                _rejectReports.Report(callsIn?.Invoke(start, count) ?? count, status, rejection?.Path ?? "-", rejection?.Type ?? "-");

                return;
            default:
                var outcome = KeepOnRetriesExhausted ? SendOutcome.Kept : SendOutcome.Dropped;
                var successes = Successes;
                var isolated = outcome == SendOutcome.Kept && !attempt.Throttled && successes > attempt.SuccessesAtStart && _recent.FailuresAreAMinority;
                // No status: the last attempt got no answer (its exception, the open circuit, or the budget spent after one).
                var unansweredAt = status == 0 ? Answers : -1;
                results.Add(new SendResult(start, count, outcome, DropReason.RetriesExhausted, status, description) { Isolated = isolated, SuccessesAtRefusal = successes, UnansweredAt = unansweredAt, RefusedByCircuit = status == 0 && attempt.RefusedByCircuit });
                Volatile.Write(ref _latestExhausted, description);
                if (_exhaustedReports.TryReport(callsIn?.Invoke(start, count) ?? count, out var exhausted))
                {
                    if (KeepOnRetriesExhausted)
                    {
                        Log.RetriesExhaustedKept(_logger, exhausted, description, _target);
                    }
                    else
                    {
                        Log.RetriesExhausted(_logger, exhausted, description, _target);
                    }
                }

                return;
        }
    }

    private static SendResult? FirstKeyRefusal(List<SendResult> results, int from)
    {
        for (var i = from; i < results.Count; i++)
        {
            if (results[i].Outcome == SendOutcome.Dropped && results[i].Reason == DropReason.Unauthorized)
            {
                return results[i];
            }
        }

        return null;
    }

    private static SendResult? FirstKept(List<SendResult> results, int from)
    {
        for (var i = from; i < results.Count; i++)
        {
            if (results[i].Outcome == SendOutcome.Kept)
            {
                return results[i];
            }
        }

        return null;
    }

    private static IReadOnlyList<ReadOnlyMemory<byte>> Slice(IReadOnlyList<ReadOnlyMemory<byte>> source, int start, int count)
    {
        if (start == 0 && count == source.Count)
        {
            return source;
        }

        var slice = new List<ReadOnlyMemory<byte>>(count);
        for (var i = start; i < start + count; i++)
        {
            slice.Add(source[i]);
        }

        return slice;
    }

    private async Task<(int Status, string Description, RejectionDetails? Rejection)> AttemptAsync(AttemptState state, CancellationToken cancellationToken)
    {
        try
        {
            var context = ResilienceContextPool.Shared.Get(cancellationToken);
            context.Properties.Set(AttemptKey, state);
            HttpResponseMessage attempted;
            try
            {
                attempted = await _pipeline.ExecuteAsync(
                    static (context, state) => state.Sender.ThroughCircuitAsync(context, state),
                    context,
                    state).ConfigureAwait(false);
            }
            finally
            {
                ResilienceContextPool.Shared.Return(context);
            }

            using var response = attempted;
            var status = (int)response.StatusCode;
            RejectionDetails? rejection = null;
            if (status is >= 400 and < 500)
            {
                rejection = await ReadRejectionSafelyAsync(response, state.Messages, CancellationToken.None).ConfigureAwait(false);
            }
            else if (status is >= 200 and < 300)
            {
                // The body is in memory already (KeepAnswerAsync kept what the protocol reads), as a refusal's above: read
                // without the token, so a shutdown whose deadline passes now does not abandon a request the service took and
                // answered whole (counted Shutdown, and a refusal's field and rule lost).
                if (await _protocol.IsRefusedDespiteSuccessAsync(response, CancellationToken.None).ConfigureAwait(false))
                {
                    rejection = NotTaken;
                }
                else
                {
                    // Counted, and logged, only when the service took the request.
                    _counters.AddRequest();
                    Log.BatchSent(_logger, state.Messages.Count, state.SentBytes);
                }
            }

            return (status, status.ToString(CultureInfo.InvariantCulture), rejection);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (KeyRefusedException refused)
        {
            // Not sent: the key was refused meanwhile (see ThroughCircuitAsync); settled as the refusal that came.
            return (refused.Status, "key refused", null);
        }
#pragma warning disable CA1031 // Whatever the network throws, the batch is settled and delivery goes on.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            // A spent RetryBudget surfaces as Polly's TimeoutRejectedException: said as what it is, after the latest failure.
            var description = state.BudgetSpent ? (state.LastFailure ?? "no answer") + ", then RetryBudget ran out" : DescribeFailure(ex);
            // A budget spent while the batch waited for the circuit's probe: refused by the circuit too.
            state.RefusedByCircuit = ex is BrokenCircuitException || (state.BudgetSpent && state.RefusedByCircuit);
            return (0, description, null);
        }
        finally
        {
            WaitEnded(state);
            EndAnswerInHand(state);
            if (state.HoldsSlot)
            {
                // Cancelled before the first attempt ran: the slot taken for it is given back.
                state.HoldsSlot = false;
                _limiter.Release();
            }
        }
    }
}

/// <summary>An attempt not made because the service refused the key (see <see cref="RequestSender.KeyRefused"/>).</summary>
internal sealed class KeyRefusedException : Exception
{
    public KeyRefusedException(int status)
        : base("The service refused the API key; the request was not sent.")
    {
        Status = status;
    }

    public int Status { get; }
}
