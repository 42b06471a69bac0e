namespace GrowlyticsSdk.Diagnostics;

/// <summary>
/// Lets a repeated warning through at most once per interval, carrying how many times it happened since the
/// last report, so a flood of drops becomes one log line per interval instead of one per message.
/// </summary>
internal sealed class LogRateLimiter
{
    private readonly TimeProvider _time;
    private readonly long _intervalTicks;
    private long _unreported;
    private long _nextReportTimestamp;

    public LogRateLimiter(TimeProvider time, TimeSpan interval)
    {
        _time = time;
        _intervalTicks = (long)(interval.TotalSeconds * time.TimestampFrequency);
    }

    /// <summary>Records one occurrence; returns <see langword="true"/> when it is time to log, with the count to report.</summary>
    public bool TryReport(out long count) => TryReport(1, out count);

    /// <summary>Records <paramref name="amount"/> occurrences (messages) at once; as <see cref="TryReport(out long)"/>.</summary>
    public bool TryReport(long amount, out long count)
    {
        Interlocked.Add(ref _unreported, amount);
        var now = _time.GetTimestamp();
        var next = Volatile.Read(ref _nextReportTimestamp);
        if (now < next || Interlocked.CompareExchange(ref _nextReportTimestamp, now + _intervalTicks, next) != next)
        {
            count = 0;
            return false;
        }

        count = Interlocked.Exchange(ref _unreported, 0);
        return true;
    }

    /// <summary>Takes the occurrences recorded since the last report, without waiting for the interval (a last report).</summary>
    public long TakeUnreported() => Interlocked.Exchange(ref _unreported, 0);
}
