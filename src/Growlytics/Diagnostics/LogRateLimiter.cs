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

    /// <summary>
    /// Records <paramref name="amount"/> occurrences (messages) at once; as <see cref="TryReport(out long)"/>. When the
    /// clock (an app's <see cref="TimeProvider"/>) throws, it is not time: the occurrences wait, counted, for the next report.
    /// </summary>
    public bool TryReport(long amount, out long count)
    {
        Interlocked.Add(ref _unreported, amount);
        count = 0;
        if (!TryNow(out var now))
        {
            return false;
        }

        var next = Volatile.Read(ref _nextReportTimestamp);
        if (now < next || Interlocked.CompareExchange(ref _nextReportTimestamp, now + _intervalTicks, next) != next)
        {
            return false;
        }

        count = Interlocked.Exchange(ref _unreported, 0);
        return true;
    }

    /// <summary>Gets the timestamp from which the next occurrence is reported (the last report's time plus the interval): for tests.</summary>
    internal long NextReportTimestamp => Volatile.Read(ref _nextReportTimestamp);

    /// <summary>Takes the occurrences recorded since the last report, without waiting for the interval (a last report).</summary>
    public long TakeUnreported() => Interlocked.Exchange(ref _unreported, 0);

    // The limiters count what a call drops on the app's thread and what a MessageDropped handler throws (in the catch that
    // keeps its fault from the other handlers): a clock's fault thrown from here reached the app's Push or OptOut, ended a
    // deletion of local data before its files, or ended the process from the thread pool the reports run on.
    private bool TryNow(out long now)
    {
        try
        {
            now = _time.GetTimestamp();
            return true;
        }
#pragma warning disable CA1031 // Whatever the app's provider throws: a warning that waits is no reason to fail what it counts.
        catch (Exception)
#pragma warning restore CA1031
        {
            now = 0;
            return false;
        }
    }
}
