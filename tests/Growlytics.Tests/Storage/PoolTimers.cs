using Microsoft.Extensions.Time.Testing;

namespace GrowlyticsSdk.Tests.Storage;

/// <summary>
/// The test's clock with every timer's callback run on the thread pool, as the system clock runs them, not inside
/// <see cref="FakeTimeProvider.Advance(TimeSpan)"/>: a writer or delivery loop that a test holds (a stuck write, a held
/// read) when its timer fires is held on a pool thread, never on the thread that moves the clock (that would hold every
/// other timer, and the test itself, until it is released).
/// </summary>
internal sealed class PoolTimers(FakeTimeProvider clock) : TimeProvider
{
    public override TimeZoneInfo LocalTimeZone => clock.LocalTimeZone;

    public override long TimestampFrequency => clock.TimestampFrequency;

    public override DateTimeOffset GetUtcNow() => clock.GetUtcNow();

    public override long GetTimestamp() => clock.GetTimestamp();

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
        clock.CreateTimer(s => ThreadPool.QueueUserWorkItem(callback.Invoke, s), state, dueTime, period);
}
