using GrowlyticsSdk.Messages;

namespace GrowlyticsSdk.Storage;

/// <summary>
/// The writer's hold on the message of a call that waits for room (<c>Customers.UpdateAsync</c>) when the folder could take
/// it only by dropping older stored messages (<see cref="GrowlyticsOptions.MaxStorageBytes"/>): the writer takes nothing
/// after it until deliveries free room, so memory fills and those calls wait there, as they would without storage, where
/// they used to push out what was stored before them. The last commit at shutdown writes it as any other.
/// </summary>
internal sealed partial class DurableQueue
{
    // The held message and its record. Writer only.
    private UserMessage? _heldForRoom;
    private byte[]? _heldPayload;

    // Whether the writer holds a message, for the readers' threads: a segment they settle wakes it (see Settle).
    private volatile bool _holdingForRoom;

    // Set while an exit signal's handler runs (the process is ending): nothing is held then, as in the last commit at shutdown.
    private volatile bool _writeAll;

    /// <summary>
    /// Has the writer hold nothing until <see cref="HoldForRoomAgain"/> (the process is ending on an exit signal): what it
    /// holds and what memory holds is written by the next commit, the oldest stored messages making room, as at shutdown,
    /// rather than lost with the process.
    /// </summary>
    public void WriteHeldForRoom() => _writeAll = true;

    /// <summary>
    /// Has the writer hold awaited messages for room again: the exit signal's handler has written what was pending and
    /// returned, and if another handler kept the process running, its imports wait for room again rather than push out
    /// what is stored.
    /// </summary>
    public void HoldForRoomAgain() => _writeAll = false;

    // Whether a message may be held now: not at shutdown or exit, nor while the disk fails (memory delivers then, and a
    // held message would let its user's later ones go first).
    private bool MayHold => !_stopping && !_writeAll && !_failing;

    /// <summary>
    /// Puts the held message, if any, first in the round when the folder has room for it (or the writer is stopping);
    /// returns <see langword="false"/> while it has none. <paramref name="room"/> is the folder's room, read here when needed.
    /// </summary>
    private bool TryReleaseHeld(List<UserMessage> messages, List<(byte[] Payload, long AcceptedMs, int Calls)> records, ref long bytes, ref long room)
    {
        if (_heldForRoom is not { } held)
        {
            return true;
        }

        var size = _heldPayload!.Length + RecordFormat.RecordHeaderSize;
        room = FolderRoom();
        if (MayHold && size > room)
        {
            return false;
        }

        messages.Add(held);
        records.Add((_heldPayload, held.UnixTimeMilliseconds, held.Calls));
        bytes += size;
        _heldForRoom = null;
        _heldPayload = null;
        _holdingForRoom = false;
        return true;
    }

    /// <summary>
    /// Gets a value indicating whether <paramref name="message"/> is to be held: its call waits for room, the writer is not
    /// stopping, and the round's bytes with it (<paramref name="bytes"/>) exceed the folder's <paramref name="room"/> (read
    /// once a round, when first needed).
    /// </summary>
    private bool MustHold(UserMessage message, long bytes, ref long room)
    {
        if (!message.Awaited || !MayHold)
        {
            return false;
        }

        if (room == long.MinValue)
        {
            room = FolderRoom();
        }

        return bytes > room;
    }

    private void Hold(UserMessage message, byte[] payload)
    {
        _heldForRoom = message;
        _heldPayload = payload;
        _holdingForRoom = true;
    }

    /// <summary>
    /// Gets the bytes the folder takes without dropping a stored message; without a log, no limit (the write fails and
    /// memory delivers, as for any message). With no stored record left unsettled, no limit either: no delivery can free
    /// more room (the SDK's other files, or segments the queue does not hold, take the rest), so a message larger than
    /// that room is written as before, the folder passing its bound by it at most, rather than held for good.
    /// </summary>
    private long FolderRoom()
    {
        lock (_gate)
        {
            return _log is { Pending: > 0 } log ? _limits.Room(log) : long.MaxValue;
        }
    }
}
