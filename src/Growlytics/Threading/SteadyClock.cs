namespace GrowlyticsSdk.Threading;

/// <summary>
/// A <see cref="TimeProvider"/> whose wall clock moves only with the monotonic clock of the one it wraps: it starts at the
/// wrapped provider's time and then adds the elapsed time of <see cref="TimeProvider.GetTimestamp"/>. For code that measures
/// durations through <see cref="TimeProvider.GetUtcNow"/> (Polly's circuit breaker: its sampling window and how long it
/// stays open), so that a system clock set back or forward neither holds the circuit open for the size of the step nor
/// closes it early. Timers and timestamps are the wrapped provider's.
/// </summary>
internal sealed class SteadyClock : TimeProvider
{
    private readonly TimeProvider _inner;
    private readonly DateTimeOffset _start;
    private readonly long _startTimestamp;

    private SteadyClock(TimeProvider inner)
    {
        _inner = inner;
        _start = inner.GetUtcNow();
        _startTimestamp = inner.GetTimestamp();
    }

    /// <inheritdoc/>
    public override TimeZoneInfo LocalTimeZone => _inner.LocalTimeZone;

    /// <inheritdoc/>
    public override long TimestampFrequency => _inner.TimestampFrequency;

    /// <summary>Wraps <paramref name="time"/> (once: a steady clock is returned as it is).</summary>
    public static TimeProvider For(TimeProvider time) => time as SteadyClock ?? new SteadyClock(time);

    /// <inheritdoc/>
    public override DateTimeOffset GetUtcNow() => Advance(_start, _inner.GetElapsedTime(_startTimestamp));

    /// <summary>
    /// Gets <paramref name="start"/> moved on by <paramref name="elapsed"/> (not moved back by a negative one), never past
    /// the last representable instant (a provider started near it).
    /// </summary>
    internal static DateTimeOffset Advance(DateTimeOffset start, TimeSpan elapsed) =>
        elapsed <= TimeSpan.Zero ? start
        : elapsed.Ticks >= DateTimeOffset.MaxValue.UtcTicks - start.UtcTicks ? DateTimeOffset.MaxValue
        : start + elapsed;

    /// <inheritdoc/>
    public override long GetTimestamp() => _inner.GetTimestamp();

    /// <inheritdoc/>
    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
        _inner.CreateTimer(callback, state, dueTime, period);
}
