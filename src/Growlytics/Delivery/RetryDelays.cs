using System.Net.Http.Headers;

namespace GrowlyticsSdk.Delivery;

/// <summary>The delay before a retry: the server's Retry-After when it gives one, else full-jitter backoff.</summary>
internal static class RetryDelays
{
    /// <summary>Exponential backoff with full jitter: uniform in [0, min(max, base × 2^attempt)].</summary>
    public static TimeSpan Backoff(int attempt, TimeSpan baseDelay, TimeSpan maxDelay, double random01)
    {
        var ceiling = baseDelay.TotalMilliseconds * Math.Pow(2, Math.Min(attempt, 30));
        ceiling = Math.Min(ceiling, maxDelay.TotalMilliseconds);
        return TimeSpan.FromMilliseconds(ceiling * random01);
    }

    /// <summary>Reads Retry-After in either form (seconds or an HTTP date), capped at <paramref name="maxDelay"/>.</summary>
    public static TimeSpan? FromRetryAfter(RetryConditionHeaderValue? header, DateTimeOffset now, TimeSpan maxDelay)
    {
        if (header is null)
        {
            return null;
        }

        TimeSpan? delay = header.Delta ?? (header.Date is { } date ? date - now : null);
        if (delay is not { } value)
        {
            return null;
        }

        if (value < TimeSpan.Zero)
        {
            value = TimeSpan.Zero;
        }

        return value > maxDelay ? maxDelay : value;
    }
}
