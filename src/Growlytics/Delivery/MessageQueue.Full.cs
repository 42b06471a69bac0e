using GrowlyticsSdk.Diagnostics;

namespace GrowlyticsSdk.Delivery;

/// <summary>The queue when full: the oldest message dropped for a new one (by policy), and drops reported at most once per interval.</summary>
internal sealed partial class MessageQueue
{
    private bool TryDropOldest()
    {
        // An update whose call waited for room (Customers.UpdateAsync) was accepted for good: a later fire-and-forget call
        // does not drop it. While one is the oldest unread message the new message is dropped instead, as with DropNewest.
        // (A reader taking the head between this look and the take below could leave an awaited message oldest: that
        // needs the dispatcher to read at that very moment, and the message behind to be an awaited one.)
        if (_queue.TryPeek(out var head) && head.Awaited)
        {
            return false;
        }

        if (!TryRead(out var oldest))
        {
            return false;
        }

        Release(MessageSize.Estimate(oldest), oldest.Calls);
        _counters.AddDroppedInBulk(DropReason.QueueFull, oldest.Calls);
        return true;
    }

    /// <summary>
    /// Wakes the dispatcher when a call finds the queue full (refused, dropping the oldest, or waiting for room): with a
    /// protocol that waits to fill its requests, a queue whose bound holds less than a request would otherwise wait for
    /// the flush interval while calls are refused (see <see cref="IsFull"/>).
    /// </summary>
    private void WakeReaderWhenFull() => _wake.Set();

    /// <summary>Counts <paramref name="dropped"/> messages dropped for a full queue, and logs them at most once per interval.</summary>
    private void ReportFull(int dropped = 1)
    {
        if (_fullReports.TryReport(dropped, out var count))
        {
            Log.QueueFull(_logger, _maxCount, _maxBytes, count);
        }
    }
}
