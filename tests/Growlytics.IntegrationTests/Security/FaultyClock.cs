namespace GrowlyticsSdk.IntegrationTests.Security;

/// <summary>The system clock, except that its timestamps and timers throw while <see cref="Broken"/> (the wall clock still works).</summary>
internal sealed class FaultyClock : TimeProvider
{
    private volatile bool _broken;

    public bool Broken
    {
        get => _broken;
        set => _broken = value;
    }

    public override long GetTimestamp()
    {
        ThrowIfBroken();
        return System.GetTimestamp();
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        ThrowIfBroken();
        return System.CreateTimer(callback, state, dueTime, period);
    }

    private void ThrowIfBroken()
    {
        if (_broken)
        {
            throw new InvalidOperationException("The test clock is broken for a moment.");
        }
    }
}
