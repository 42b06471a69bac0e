using Microsoft.Extensions.Time.Testing;

namespace GrowlyticsSdk.Tests.Time;

/// <summary>
/// A test clock whose wall clock can be set back or forward without time passing, as when the system clock is corrected:
/// <see cref="TimeProvider.GetUtcNow"/> is the fake time plus <see cref="Step"/>; the monotonic clock and the timers are
/// the fake time's alone.
/// </summary>
internal sealed class SteppedClock(FakeTimeProvider time) : TimeProvider
{
    private long _stepTicks;

    /// <summary>Gets or sets how far the wall clock is set from the fake time.</summary>
    public TimeSpan Step
    {
        get => TimeSpan.FromTicks(Interlocked.Read(ref _stepTicks));
        set => Interlocked.Exchange(ref _stepTicks, value.Ticks);
    }

    public override TimeZoneInfo LocalTimeZone => time.LocalTimeZone;

    public override long TimestampFrequency => time.TimestampFrequency;

    public override DateTimeOffset GetUtcNow() => time.GetUtcNow() + Step;

    public override long GetTimestamp() => time.GetTimestamp();

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
        time.CreateTimer(callback, state, dueTime, period);
}
