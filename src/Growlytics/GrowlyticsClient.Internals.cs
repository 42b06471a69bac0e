using GrowlyticsSdk.Delivery;
using GrowlyticsSdk.Sessions;
using GrowlyticsSdk.Storage;

namespace GrowlyticsSdk;

/// <summary>The client's parts as tests reach them.</summary>
public sealed partial class GrowlyticsClient
{
    /// <summary>Gets the memory queue as delivery reads it (for tests).</summary>
    internal MemorySource Memory => _memory;

    /// <summary>Gets the stored queue, or <see langword="null"/> without <see cref="GrowlyticsOptions.StorageDirectory"/> (for tests).</summary>
    internal DurableQueue? Durable => _durable;

    /// <summary>Gets the session file's store, or <see langword="null"/> without one (for tests).</summary>
    internal SessionStore? SessionStore => _sessionStore;

    /// <summary>
    /// Test seam: completes once everything accepted before the call is written to the storage folder (or handed back to
    /// memory by a write that failed), without waiting for delivery as <see cref="FlushAsync"/> does, and has delivery
    /// send what it holds without waiting for batches to fill. Requires <see cref="GrowlyticsOptions.StorageDirectory"/>.
    /// </summary>
    internal async Task FlushToStorageAsync()
    {
        await _durable!.FlushAsync(CancellationToken.None).ConfigureAwait(false);
        _dispatcher.RequestDrain();
    }

    /// <summary>Completes once the session file's writes asked for so far have ended (for tests).</summary>
    internal Task FlushSessionFileAsync() => _sessionStore?.FlushAsync() ?? Task.CompletedTask;
}
