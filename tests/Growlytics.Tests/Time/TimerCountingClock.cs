using Microsoft.Extensions.Time.Testing;

namespace GrowlyticsSdk.Tests.Time;

/// <summary>
/// A <see cref="FakeTimeProvider"/> seen through a clock that counts the timers created with it (<see cref="Timers"/>)
/// and those not disposed yet (<see cref="Live"/>): how often the SDK's background work wakes, and whether its timers end.
/// </summary>
internal sealed class TimerCountingClock(FakeTimeProvider time) : TimeProvider
{
    private int _timers;
    private int _live;

    /// <summary>Gets the number of timers created so far.</summary>
    public int Timers => Volatile.Read(ref _timers);

    /// <summary>Gets the number of timers created and not disposed.</summary>
    public int Live => Volatile.Read(ref _live);

    public override TimeZoneInfo LocalTimeZone => time.LocalTimeZone;

    public override long TimestampFrequency => time.TimestampFrequency;

    public override DateTimeOffset GetUtcNow() => time.GetUtcNow();

    public override long GetTimestamp() => time.GetTimestamp();

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        Interlocked.Increment(ref _timers);
        Interlocked.Increment(ref _live);
        return new CountedTimer(this, time.CreateTimer(callback, state, dueTime, period));
    }

    private sealed class CountedTimer(TimerCountingClock clock, ITimer inner) : ITimer
    {
        private int _disposed;

        public bool Change(TimeSpan dueTime, TimeSpan period) => inner.Change(dueTime, period);

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                Interlocked.Decrement(ref clock._live);
            }

            inner.Dispose();
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return default;
        }
    }
}
