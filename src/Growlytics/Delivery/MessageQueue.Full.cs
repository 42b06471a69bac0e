using GrowlyticsSdk.Diagnostics;

namespace GrowlyticsSdk.Delivery;

/// <summary>The queue when full: the oldest message dropped for a new one (by policy), and drops reported at most once per interval.</summary>
internal sealed partial class MessageQueue
{
    // Unread messages dropped for newer ones (DropOldest), ever: they leave the queue without being read by delivery.
    private long _droppedUnread;

    /// <summary>
    /// Gets how many unread messages were dropped from the queue for newer ones (<see cref="QueueOverflowPolicy.DropOldest"/>),
    /// ever. Counted before they stop counting as unread (see <see cref="Unread"/>).
    /// </summary>
    public long DroppedUnread => Interlocked.Read(ref _droppedUnread);

    private bool TryDropOldest(out int calls)
    {
        calls = 0;
        // An update whose call waited for room (Customers.UpdateAsync) was accepted for good: a later fire-and-forget call
        // does not drop it. While one is the oldest unread message the new message is dropped instead, as with DropNewest.
        // (A reader taking the head between this look and the take below could leave an awaited message oldest: that
        // needs the dispatcher to read at that very moment, and the message behind to be an awaited one.)
        if (_queue.TryPeek(out var head) && head.Awaited)
        {
            return false;
        }

        if (!TryTake(out var oldest))
        {
            return false;
        }

        // Counted dropped before it stops counting unread: a flush that counts the unread messages and then the drops (see
        // Dispatcher.FlushAsync) counts it at least once, so its target can be too high, never too low. The delivery loop
        // gives each such drop a settled ticket: the flushes that counted the message wait for no message after it.
        Interlocked.Increment(ref _droppedUnread);
        CountTaken(1, MessageSize.EstimateJson(oldest), MessageSize.Estimate(oldest));
        Release(MessageSize.Estimate(oldest), oldest.Calls);
        _counters.AddDroppedInBulk(DropReason.QueueFull, oldest.Calls);
        calls = oldest.Calls;

        // Out of the queue, it was nothing else's (no reader took it, and the call that queued it reads it no more): back to
        // the calls' pool, as a message dropped for a full queue before it was queued is (see NotQueued).
        _pool.Return(oldest);
        return true;
    }

    /// <summary>
    /// Wakes the dispatcher when a call finds the queue full (refused, dropping the oldest, or waiting for room): with a
    /// protocol that waits to fill its requests, a queue whose bound holds less than a request would otherwise wait for
    /// the flush interval while calls are refused (see <see cref="IsFull"/>).
    /// </summary>
    private void WakeReaderWhenFull() => _wake.Set();

    /// <summary>
    /// Counts <paramref name="dropped"/> calls dropped for a full queue (as the statistics count them: a message settles its
    /// <see cref="Messages.UserMessage.Calls"/>), and logs them at most once per interval.
    /// </summary>
    private void ReportFull(long dropped)
    {
        if (_fullReports.TryReport(dropped, out var count))
        {
            Log.QueueFull(_logger, _maxCount, _maxBytes, count);
        }
    }
}
