using System.Net;
using System.Net.Http.Headers;
using GrowlyticsSdk.Diagnostics;
using GrowlyticsSdk.Serialization;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using Polly.Timeout;

namespace GrowlyticsSdk.Delivery;

/// <summary>
/// Sends one batch to <c>{Endpoint}/events/sdk-batch</c> through a Polly pipeline (total budget → retry →
/// circuit breaker → per-attempt timeout) and settles every message in it: delivered, or dropped with a reason.
/// </summary>
internal sealed class BatchSender
{
    private static readonly MediaTypeHeaderValue JsonContentType = new("application/json") { CharSet = "utf-8" };
    private readonly Func<HttpClient> _http;
    private readonly Uri _batchUri;
    private readonly string _apiKey;
    private readonly TimeProvider _time;
    private readonly DeliveryCounters _counters;
    private readonly ILogger _logger;
    private readonly ResiliencePipeline<HttpResponseMessage> _pipeline;
    private readonly RedirectGuard _redirects;
    private readonly Random _random = new();
    private int _unauthorized;

    public BatchSender(GrowlyticsOptions options, Func<HttpClient> http, DeliveryCounters counters, ILogger logger)
    {
        _http = http;
        _apiKey = options.ApiKey!;
        _time = options.TimeProvider;
        _counters = counters;
        _logger = logger;
        var endpoint = options.Endpoint.AbsoluteUri.EndsWith("/", StringComparison.Ordinal) ? options.Endpoint : new Uri(options.Endpoint.AbsoluteUri + "/");
        _batchUri = new Uri(endpoint, "events/sdk-batch");
        _pipeline = BuildPipeline(options);
        _redirects = new RedirectGuard(options.TimeProvider, logger);
    }

    /// <summary>Gets a value indicating whether the service refused the API key; nothing more is sent.</summary>
    public bool IsStopped => Volatile.Read(ref _unauthorized) != 0;

    /// <summary>
    /// Gets a value indicating whether a batch whose retries ran out is left unsettled (kept in storage) instead of
    /// dropped as <see cref="DropReason.RetriesExhausted"/>.
    /// </summary>
    public bool KeepOnRetriesExhausted { get; init; }

    /// <summary>
    /// Sends and settles the batch, reporting each settled part (delivered or dropped and counted) to
    /// <paramref name="settled"/>. Throws only <see cref="OperationCanceledException"/> when
    /// <paramref name="cancellationToken"/> is cancelled (shutdown), leaving the unreported rest unsettled.
    /// </summary>
    public async Task SendAsync(IReadOnlyList<byte[]> messages, Action<int> settled, CancellationToken cancellationToken)
    {
        if (IsStopped)
        {
            Settle(DropReason.Unauthorized, messages.Count, settled);
            return;
        }

        var result = await AttemptAsync(messages, cancellationToken).ConfigureAwait(false);
        if (result.IsSuccess)
        {
            _counters.AddDelivered(messages.Count);
            settled(messages.Count);
            return;
        }

        switch (result.Status)
        {
            case var status when RedirectGuard.IsRedirect(status):
                // Logged by the guard; a redirect is never retried, followed or kept in storage.
                Settle(DropReason.Rejected, messages.Count, settled);
                return;
            case 413 when messages.Count > 1:
                Log.SplittingBatch(_logger, messages.Count);
                var half = messages.Count / 2;
                var firstHalf = 0;
                await SendAsync(Slice(messages, 0, half), n => { firstHalf += n; settled(n); }, cancellationToken).ConfigureAwait(false);
                if (firstHalf < half)
                {
                    // Kept in storage for later: the second half waits too, so order is kept.
                    return;
                }

                await SendAsync(Slice(messages, half, messages.Count - half), settled, cancellationToken).ConfigureAwait(false);
                return;
            case 413:
                Settle(DropReason.TooLarge, 1, settled);
                Log.MessageTooLarge(_logger, messages[0].Length);
                return;
            case 401 or 403:
                var first = Interlocked.Exchange(ref _unauthorized, 1) == 0;
                Settle(DropReason.Unauthorized, messages.Count, settled);
                if (first)
                {
                    Log.Unauthorized(_logger, result.Status);
                }

                return;
            case >= 400 and < 500 and not (408 or 429):
                Settle(DropReason.Rejected, messages.Count, settled);
                Log.BatchRejected(_logger, messages.Count, result.Status);
                return;
            case var _ when KeepOnRetriesExhausted:
                Log.KeptInStorage(_logger, messages.Count, result.Outcome);
                return;
            default:
                Settle(DropReason.RetriesExhausted, messages.Count, settled);
                Log.RetriesExhausted(_logger, messages.Count, result.Outcome);
                return;
        }
    }

    internal static bool IsTransient(HttpStatusCode status) => status is HttpStatusCode.RequestTimeout or (HttpStatusCode)429 || (int)status >= 500;

    // Counted before anything is logged, so a logger that throws cannot leave the figures short.
    private void Settle(DropReason reason, int count, Action<int> settled)
    {
        _counters.AddDropped(reason, count);
        settled(count);
    }

    private static List<byte[]> Slice(IReadOnlyList<byte[]> source, int start, int count)
    {
        var slice = new List<byte[]>(count);
        for (var i = start; i < start + count; i++)
        {
            slice.Add(source[i]);
        }

        return slice;
    }

    private async Task<SendResult> AttemptAsync(IReadOnlyList<byte[]> messages, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await _pipeline.ExecuteAsync(
                static (state, token) => new ValueTask<HttpResponseMessage>(state.Sender.PostAsync(state.Messages, token)),
                (Sender: this, Messages: messages),
                cancellationToken).ConfigureAwait(false);
            return new SendResult((int)response.StatusCode, ((int)response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
#pragma warning disable CA1031 // Whatever the network throws, the batch is settled and the loop goes on.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            return new SendResult(0, ex.GetType().Name);
        }
    }

    private async Task<HttpResponseMessage> PostAsync(IReadOnlyList<byte[]> messages, CancellationToken cancellationToken)
    {
        var body = BatchBody.Build(messages, _time.GetUtcNow());
        using var request = new HttpRequestMessage(HttpMethod.Post, _batchUri);
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = JsonContentType;
        content.Headers.ContentEncoding.Add("gzip");
        request.Content = content;
        request.Headers.TryAddWithoutValidation("x-growlytics-key", _apiKey);
        request.Headers.TryAddWithoutValidation("User-Agent", SdkInfo.UserAgent);
        var response = _redirects.Inspect(await _http().SendAsync(request, cancellationToken).ConfigureAwait(false), _batchUri);
        if (response.IsSuccessStatusCode)
        {
            Log.BatchSent(_logger, messages.Count, body.Length);
        }

        return response;
    }

    private ResiliencePipeline<HttpResponseMessage> BuildPipeline(GrowlyticsOptions options)
    {
        var builder = new ResiliencePipelineBuilder<HttpResponseMessage> { TimeProvider = options.TimeProvider };
        builder.AddTimeout(options.RetryBudget);
        if (options.MaxRetryAttempts > 0)
        {
            builder.AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                MaxRetryAttempts = options.MaxRetryAttempts,
                ShouldHandle = args => new ValueTask<bool>(ShouldRetry(args.Outcome, args.Context.CancellationToken)),
                DelayGenerator = args => new ValueTask<TimeSpan?>(NextDelay(args.AttemptNumber, args.Outcome, options)),
                OnRetry = args =>
                {
                    _counters.AddRetry();
                    Log.Retrying(_logger, args.AttemptNumber + 1, Describe(args.Outcome), args.RetryDelay);
                    return default;
                },
            });
        }

        builder.AddCircuitBreaker(new CircuitBreakerStrategyOptions<HttpResponseMessage>
        {
            // Opens after a run of failures, so an outage is probed every BreakDuration instead of hammered.
            FailureRatio = 0.8,
            MinimumThroughput = 4,
            SamplingDuration = TimeSpan.FromSeconds(30),
            BreakDuration = options.CircuitBreakDuration,
            ShouldHandle = args => new ValueTask<bool>(ShouldRetry(args.Outcome, args.Context.CancellationToken)),
        });
        builder.AddTimeout(options.RequestTimeout);
        return builder.Build();
    }

    private static bool ShouldRetry(Outcome<HttpResponseMessage> outcome, CancellationToken token) => outcome switch
    {
        { Result: { } response } => IsTransient(response.StatusCode),
        { Exception: HttpRequestException or TimeoutRejectedException or BrokenCircuitException or IOException } => true,

        // An HttpClient timeout surfaces as a cancellation that nobody asked for.
        { Exception: OperationCanceledException } => !token.IsCancellationRequested,
        _ => false,
    };

    private static string Describe(Outcome<HttpResponseMessage> outcome) => outcome switch
    {
        { Result: { } response } => ((int)response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture),
        { Exception: { } exception } => exception.GetType().Name,
        _ => "unknown",
    };

    private TimeSpan? NextDelay(int attempt, Outcome<HttpResponseMessage> outcome, GrowlyticsOptions options)
    {
        var backoff = RetryDelays.Backoff(attempt, options.RetryBaseDelay, options.MaxRetryDelay, _random.NextDouble());
        if (outcome is { Result.Headers.RetryAfter: { } retryAfter }
            && RetryDelays.FromRetryAfter(retryAfter, _time.GetUtcNow(), options.MaxRetryDelay) is { } serverDelay)
        {
            return serverDelay;
        }

        if (outcome.Exception is BrokenCircuitException { RetryAfter: { } untilClosed })
        {
            return untilClosed > backoff ? untilClosed : backoff;
        }

        return backoff;
    }
}
