using GrowlyticsSdk.Messages;

namespace GrowlyticsSdk.Delivery;

/// <summary>The queue's room: reserved against both bounds by each call, given back as messages leave, and the storage writer woken as it fills.</summary>
internal sealed partial class MessageQueue
{
    /// <summary>
    /// Gets a value indicating whether <paramref name="bytes"/> more would keep the held messages and the request bodies
    /// within <see cref="GrowlyticsOptions.MaxQueueBytes"/>.
    /// </summary>
    public bool HasRoomFor(long bytes) => EstimatedBytes + RequestBytes + bytes <= _maxBytes;

    /// <summary>
    /// Gets a value indicating whether the queue has no room for one more message of its average size (by count or by
    /// bytes, with the request bodies), or a call waits for room (<c>Customers.UpdateAsync</c>, whose update may be larger
    /// than the average): a request that waits to fill would wait for nothing, since no call can add to it (fire-and-forget
    /// calls are dropped while one waits).
    /// </summary>
    public bool IsFull
    {
        get
        {
            if (Volatile.Read(ref _waiters) > 0)
            {
                return true;
            }

            var load = Volatile.Read(ref _load);
            var count = load >> CountShift;
            if (count == 0)
            {
                return false;
            }

            var bytes = load & BytesMask;
            return count >= _maxCount || bytes + RequestBytes + (bytes / count) > _maxBytes;
        }
    }

    /// <summary>Gives back the room a message held (it was delivered, dropped, or written to storage).</summary>
    /// <param name="estimatedBytes">The message's estimated size.</param>
    /// <param name="calls">The calls the message settles (<see cref="UserMessage.Calls"/>); 1 for one that was never added.</param>
    public void Release(int estimatedBytes, int calls = 1) => Release(1, estimatedBytes, calls);

    /// <summary>Gives back the room <paramref name="messages"/> messages held, at once (a request's delivered messages).</summary>
    /// <param name="messages">How many messages.</param>
    /// <param name="estimatedBytes">Their estimated sizes, summed.</param>
    /// <param name="calls">The calls they settle, summed (at least <paramref name="messages"/>).</param>
    public void Release(long messages, long estimatedBytes, long calls)
    {
        Interlocked.Add(ref _readBytes, -estimatedBytes);
        ReleaseRoom(messages, estimatedBytes, calls);
    }

    /// <summary>Gives back the room of a reservation whose message was never added (a waiting call refused).</summary>
    private void ReleaseReservation(int estimatedBytes) => ReleaseRoom(1, estimatedBytes, 1);

    private void ReleaseRoom(long messages, long estimatedBytes, long calls)
    {
        if (calls > messages)
        {
            Interlocked.Add(ref _extraCalls, messages - calls);
        }

        var after = Interlocked.Add(ref _load, -((messages << CountShift) + estimatedBytes));
        if (Volatile.Read(ref _storageWakeArmed) == 0 && (after >> CountShift) <= _pressureCount / 2 && (after & BytesMask) <= PressureBytes / 2)
        {
            // Down to half the threshold (the writer took what memory held): the next crossing wakes it again.
            Volatile.Write(ref _storageWakeArmed, 1);
        }

        if (Volatile.Read(ref _waiters) > 0)
        {
            _room.Pulse();
        }
    }

    // The calls' path: one locked add, taken back when there is no room.
    private bool TryReserve(int size, out long after)
    {
        var delta = OneMessage | (uint)size;
        after = Interlocked.Add(ref _load, delta);
        if (HasRoom(after))
        {
            return true;
        }

        Interlocked.Add(ref _load, -delta);
        if (Volatile.Read(ref _waiters) > 0)
        {
            // A waiting call's check may have seen this reservation before it was taken back, and found no room.
            _room.Pulse();
        }

        return false;
    }

    // The waiting calls' path: reserves only if there is room, so no other call ever sees a reservation taken back (a
    // waiter that pulsed for its own would wake itself, and every other waiter, again and again).
    private bool TryReserveWaiting(int size, out long after)
    {
        var delta = OneMessage | (uint)size;
        var load = Volatile.Read(ref _load);
        while (true)
        {
            after = load + delta;
            if (!HasRoom(after))
            {
                return false;
            }

            var seen = Interlocked.CompareExchange(ref _load, after, load);
            if (seen == load)
            {
                return true;
            }

            load = seen;
        }
    }

    /// <summary>
    /// Gets a value indicating whether dropping every unread message could make room for a new one of
    /// <paramref name="size"/> estimated bytes: not when the messages read already (staged, in flight) leave too little
    /// of either bound. An estimate (readers count their takes a moment after them): wrong, it errs towards trying.
    /// </summary>
    private bool CouldMakeRoom(int size)
    {
        var load = Volatile.Read(ref _load);
        var read = (load >> CountShift) - Volatile.Read(ref _unread);
        if (read <= 0)
        {
            // Alone in the queue, a message fits whatever its size.
            return true;
        }

        return read + 1 <= _maxCount && Volatile.Read(ref _readBytes) + Volatile.Read(ref _requestBytes) + size <= _maxBytes;
    }

    // The request bodies on their way count toward the bytes (a request waiting out a retry keeps its body); a message alone
    // in the queue fits whatever its size, and whatever they keep.
    private bool HasRoom(long load) =>
        (load >> CountShift) <= _maxCount && ((load & BytesMask) + Volatile.Read(ref _requestBytes) <= _maxBytes || (load >> CountShift) == 1);

    // A quarter of the bytes the messages may take: of MaxQueueBytes, less what the request bodies on their way keep (they
    // count toward it too: with bodies read from disk holding most of it, memory filled before a quarter of the bound, and
    // calls were dropped for room while the writer waited for its next commit).
    private long PressureBytes => Math.Max(1, Math.Min(_pressureBytes, (_maxBytes - Volatile.Read(ref _requestBytes)) / 4));

    // After the message is in, so the woken writer finds it. One wake per filling: the call that finds memory at or past a
    // threshold while armed disarms it; Release arms it again once memory is down to half (a count hovering around the
    // threshold wakes nobody).
    private void WakeStorageIfCrossed(long load)
    {
        if (StorageWake is { } wake
            && ((load >> CountShift) >= _pressureCount || (load & BytesMask) >= PressureBytes)
            && Volatile.Read(ref _storageWakeArmed) == 1
            && Interlocked.Exchange(ref _storageWakeArmed, 0) == 1)
        {
            wake();
        }
    }
}
