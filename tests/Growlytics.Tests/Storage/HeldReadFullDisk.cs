namespace GrowlyticsSdk.Tests.Storage;

/// <summary>
/// A storage client's delivery loop held at its next read of the folder (as behind a slow store) until
/// <see cref="ReleaseLoop"/>, and its disk made full ("no space" on every append) while <see cref="Full"/>; one message a
/// request, so a request the service holds holds no other call.
/// </summary>
internal sealed class HeldReadFullDisk : IDisposable
{
    private readonly ManualResetEventSlim _held = new();
    private readonly ManualResetEventSlim _release = new();
    private int _hold;
    private int _full;

    /// <summary>Gets or sets whether every append to the folder fails as on a full disk.</summary>
    public bool Full
    {
        get => Volatile.Read(ref _full) == 1;
        set => Volatile.Write(ref _full, value ? 1 : 0);
    }

    /// <summary>Gets whether the loop waits at the read <see cref="HoldNextRead"/> asked for.</summary>
    public bool LoopHeld => _held.IsSet;

    /// <summary>Holds the loop at its next read of the folder (once).</summary>
    public void HoldNextRead() => Volatile.Write(ref _hold, 1);

    /// <summary>Lets the held loop go on.</summary>
    public void ReleaseLoop() => _release.Set();

    /// <summary>Sets the options: <paramref name="protocol"/>, <paramref name="collector"/>, a 64 KB folder, one message a request, and the seams.</summary>
    public void Configure(GrowlyticsOptions options, GrowlyticsProtocol protocol, HttpMessageHandler collector)
    {
        options.Protocol = protocol;
        options.HttpClient = new HttpClient(collector);
        options.MaxStorageBytes = 64 * 1024;
        options.MaxBatchSize = 1;
        options.StorageAppendFault = _ => Full ? new IOException("No space left on device (test).") : null;
        options.BeforeStoreRead = () =>
        {
            if (Volatile.Read(ref _hold) == 1 && Interlocked.Exchange(ref _hold, 2) == 1)
            {
                _held.Set();
                _release.Wait(TimeSpan.FromSeconds(30));
            }
        };
    }

    public void Dispose()
    {
        _release.Set();
        _held.Dispose();
        _release.Dispose();
    }
}
