using GrowlyticsSdk.Delivery;

namespace GrowlyticsSdk;

// FlushAsync with storage or a session file: its target taken at the call, what memory holds written first.
public sealed partial class GrowlyticsClient
{
    private Task FlushWithStorageAsync(CancellationToken cancellationToken)
    {
        // What the flush waits for is fixed now, at the call: the delivery of every message accepted so far (counted wherever
        // it is: memory, the storage writer, the folder), and the session file's saves scheduled so far. Taken once the
        // storage writer had written (below), they also counted the calls made meanwhile: through a slow disk write, or
        // under a sustained load, the flush waited for those, however long their delivery took (for ever, were they
        // refused and retried while calls kept coming).
        var delivery = _dispatcher.TakeFlushTarget();
        var session = _sessionStore?.FlushAsync();
        return FlushWithStorageAsync(delivery, session, cancellationToken);
    }

    private async Task FlushWithStorageAsync(FlushTarget? delivery, Task? session, CancellationToken cancellationToken)
    {
        if (_durable is { IsBuffer: true } durable)
        {
            // Written first (or handed back to memory if the write failed: a disk that may not come back is not waited
            // for), so the flush below counts them as stored or in memory. Registered after the write, as before: what
            // completes a flush once everything is settled, or blocked behind messages kept on disk, then knows that what
            // memory holds came after it.
            await durable.FlushAsync(cancellationToken).ConfigureAwait(false);
        }

        // Delivered or dropped, or out of retries and kept on disk for a later try.
        await _dispatcher.WaitForFlushAsync(_dispatcher.RegisterFlush(delivery), cancellationToken).ConfigureAwait(false);

        if (session is not null)
        {
            await Polyfills.TaskCompat.WaitAsync(session, cancellationToken).ConfigureAwait(false);
        }
    }
}
