using Microsoft.Extensions.Time.Testing;

namespace GrowlyticsSdk.Tests.Storage;

/// <summary>
/// Holds the delivery loop's first store read that returns records, with the records it took, until
/// <see cref="Release"/>. The client's clock runs timers on the thread pool (<see cref="PoolTimers"/>), so the held read
/// never runs inside the test's <see cref="FakeTimeProvider.Advance(TimeSpan)"/>.
/// </summary>
internal sealed class HeldFirstRead : IDisposable
{
    private readonly ManualResetEventSlim _reading = new();
    private readonly ManualResetEventSlim _resume = new();
    private int _held;

    /// <summary>Gets a value indicating whether the read is being held.</summary>
    public bool IsHeld => _reading.IsSet;

    /// <summary>Sets the client's clock and store-read hook.</summary>
    public void Apply(GrowlyticsOptions options, FakeTimeProvider time)
    {
        options.TimeProvider = new PoolTimers(time);
        options.AfterStoreRead = count =>
        {
            if (count > 0 && Interlocked.Exchange(ref _held, 1) == 0)
            {
                _reading.Set();
                _resume.Wait(TimeSpan.FromSeconds(30));
            }
        };
    }

    public void Release() => _resume.Set();

    public void Dispose()
    {
        _resume.Set();
        _reading.Dispose();
        _resume.Dispose();
    }
}
