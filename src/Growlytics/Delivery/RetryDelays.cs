using System.Net.Http.Headers;

namespace GrowlyticsSdk.Delivery;

/// <summary>The delay before a retry: the server's Retry-After when it gives one, else full-jitter backoff.</summary>
internal static class RetryDelays
{
    /// <summary>How many times the backoff ceiling doubles at most while a batch's failure is its own (none: the base).</summary>
    public const int IsolatedFailureDoublings = 0;

    /// <summary>
    /// How many times the ceiling of retry <paramref name="attempt"/> (0 for the first retry) doubles. A batch's failure
    /// is <paramref name="isolated"/> when the service accepted other requests since the batch was first sent and failures
    /// are a minority of the latest attempts (a flaky node, a reset connection): its retries then wait at most the base
    /// delay, since the batch makes the same number of attempts either way, the concurrency limit bounds their rate, and
    /// its customers' later messages wait behind it. Otherwise (alone, or failures widespread) the ceiling doubles with
    /// every attempt up to the maximum delay, and the circuit breaker opens when most requests fail.
    /// </summary>
    public static int Doublings(int attempt, bool isolated) =>
        isolated ? Math.Min(attempt, IsolatedFailureDoublings) : attempt;

    /// <summary>The least a backoff waits: a retry never goes at once, even on a draw of (nearly) zero.</summary>
    public static readonly TimeSpan MinimumBackoff = TimeSpan.FromMilliseconds(1);

    /// <summary>
    /// Exponential backoff with full jitter: uniform in [0, min(max, base × 2^attempt)], raised to
    /// <see cref="MinimumBackoff"/> (when the ceiling allows it).
    /// </summary>
    public static TimeSpan Backoff(int attempt, TimeSpan baseDelay, TimeSpan maxDelay, double random01)
    {
        var ceiling = baseDelay.TotalMilliseconds * Math.Pow(2, Math.Min(attempt, 30));
        ceiling = Math.Min(ceiling, maxDelay.TotalMilliseconds);
        var floor = Math.Min(ceiling, MinimumBackoff.TotalMilliseconds);
        return TimeSpan.FromMilliseconds(Math.Max(ceiling * random01, floor));
    }

    // A delay-seconds value past what the header parser reads (2^31 seconds or more), taken as the longest it reads: capped
    // like any wait longer than MaxRetryDelay.
    private static readonly RetryConditionHeaderValue Longest = new(TimeSpan.FromSeconds(int.MaxValue));

    /// <summary>
    /// Gets the answer's <c>Retry-After</c>: as <see cref="HttpResponseHeaders.RetryAfter"/> reads it, or, for a delay in
    /// seconds too large for it (RFC 9110's <c>delay-seconds</c> is any run of digits; .NET reads at most
    /// <see cref="int.MaxValue"/>), the longest delay it reads. Without this, a service asking to wait longer than 68 years
    /// was taken as saying nothing, and retried within the backoff instead of after <see cref="GrowlyticsOptions.MaxRetryDelay"/>.
    /// </summary>
    public static RetryConditionHeaderValue? RetryAfterOf(HttpResponseHeaders headers)
    {
        if (headers.RetryAfter is { } parsed)
        {
            return parsed;
        }

#if NET8_0_OR_GREATER
        if (!headers.NonValidated.TryGetValues("Retry-After", out var values) || values.Count != 1)
        {
            return null;
        }
#else
        if (!headers.TryGetValues("Retry-After", out var all) || all.Take(2).Count() != 1)
        {
            return null;
        }

        var values = all;
#endif
        foreach (var value in values)
        {
            var text = value.Trim();
            if (text.Length == 0)
            {
                return null;
            }

            foreach (var c in text)
            {
                if (c is < '0' or > '9')
                {
                    return null;
                }
            }
        }

        return Longest;
    }

    /// <summary>
    /// Reads Retry-After in either form (seconds or an HTTP date, taken relative to <paramref name="now"/>: the response's
    /// <c>Date</c> when it has one), capped at <paramref name="maxDelay"/>. A date not after <paramref name="now"/> gives
    /// <see langword="null"/>, as an unreadable header does: without a <c>Date</c> it is read against the device's clock,
    /// and one set ahead of the service's (by an hour, a time zone taken as UTC) puts every "come back in 30 s" in the past,
    /// which read as "now" retried at once, again and again, for the whole <see cref="GrowlyticsOptions.RetryBudget"/>.
    /// </summary>
    public static TimeSpan? FromRetryAfter(RetryConditionHeaderValue? header, DateTimeOffset now, TimeSpan maxDelay)
    {
        if (header is null)
        {
            return null;
        }

        TimeSpan value;
        if (header.Delta is { } delta)
        {
            value = delta < TimeSpan.Zero ? TimeSpan.Zero : delta;
        }
        else if (header.Date is { } date && date > now)
        {
            value = date - now;
        }
        else
        {
            return null;
        }

        return value > maxDelay ? maxDelay : value;
    }
}
