namespace GrowlyticsSdk.Tests.Storage;

/// <summary>
/// Holds the first thread that calls <see cref="Hold"/> (from a test seam) until <see cref="Release"/>, or 30 s at most;
/// later calls pass at once.
/// </summary>
internal sealed class HoldOnce : IDisposable
{
    private readonly ManualResetEventSlim _reached = new();
    private readonly ManualResetEventSlim _resume = new();
    private int _held;

    public void Hold()
    {
        if (Interlocked.Exchange(ref _held, 1) == 0)
        {
            _reached.Set();
            _resume.Wait(TimeSpan.FromSeconds(30));
        }
    }

    /// <summary>Waits until a thread is held; <see langword="false"/> if none was within <paramref name="timeout"/>.</summary>
    public bool WaitUntilHeld(TimeSpan timeout) => _reached.Wait(timeout);

    public void Release() => _resume.Set();

    public void Dispose()
    {
        _resume.Set();
        _reached.Dispose();
        _resume.Dispose();
    }
}
