namespace GrowlyticsSdk.Tests.TestSupport;

/// <summary>
/// Holds one call between the queue accepting it and the queue adding its message (through
/// <c>GrowlyticsOptions.BeforeQueueAdd</c>), as a thread preempted there would be: set <c>BeforeQueueAdd = gate.BeforeAdd</c>,
/// <see cref="Arm"/> it, make the call on another thread and wait for <see cref="Entered"/>.
/// </summary>
internal sealed class QueueAddGate : IDisposable
{
    private int _armed;

    public ManualResetEventSlim Entered { get; } = new();

    public ManualResetEventSlim Release { get; } = new();

    /// <summary>Holds the next call that adds a message.</summary>
    public void Arm() => Volatile.Write(ref _armed, 1);

    public void BeforeAdd()
    {
        if (Interlocked.Exchange(ref _armed, 0) == 1)
        {
            Entered.Set();
            Release.Wait(DeliveryHarness.RealTimeout);
        }
    }

    public void Dispose()
    {
        Release.Set();
        Entered.Dispose();
        Release.Dispose();
    }
}
