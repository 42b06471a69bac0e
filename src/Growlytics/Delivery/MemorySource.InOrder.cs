using GrowlyticsSdk.Messages;

namespace GrowlyticsSdk.Delivery;

/// <summary>
/// Call order across a message the storage writer hands back because it cannot store it (larger than a record may be,
/// or not serializable): the loop reads the disk before memory, so a later message of the same user written to the disk
/// meanwhile would be read, and sent, first. While such a message has not been read, the writer hands back that user's
/// next messages too (<see cref="WaitsBehindHandedBack"/>), and they are read from memory behind it, in order.
/// </summary>
internal sealed partial class MemorySource
{
    // The users (by partition key) with a message handed back this way and not read yet: the last such message of each.
    private readonly Dictionary<string, UserMessage> _waitingUsers = new(StringComparer.Ordinal);

    // _waitingUsers.Count, read without the lock: 0 on every path but this rare one.
    private int _waitingUserCount;

    /// <summary>
    /// Gets or sets the key that orders a user's messages (the protocol's partition key): messages with the same key are
    /// sent in call order. <see langword="null"/>: no order is kept across a hand-back.
    /// </summary>
    internal Func<UserMessage, string>? OrderKey { get; set; }

    /// <summary>Gets the number of users whose messages the storage writer hands back to keep their order.</summary>
    internal int WaitingUsers => Volatile.Read(ref _waitingUserCount);

    /// <summary>
    /// Gets whether <paramref name="message"/>'s user has an older message the storage writer handed back that the loop has
    /// not read yet: the writer hands this one back too (see <see cref="HandingBackInOrder"/>).
    /// </summary>
    public bool WaitsBehindHandedBack(UserMessage message)
    {
        // Not once the shutdown has begun: the messages returned to storage then (ReturnToStorage), and those still
        // queued, are written to the folder for the next start; handed back, they would be dropped with the process.
        if (Volatile.Read(ref _waitingUserCount) == 0 || OrderKey is not { } key || _queue.IsCompleted)
        {
            return false;
        }

        var user = key(message);
        lock (_waitingUsers)
        {
            return _waitingUsers.ContainsKey(user);
        }
    }

    /// <summary>
    /// Records that the storage writer is about to hand back <paramref name="message"/> to keep its user's order (called
    /// before <see cref="HandBack"/>, so the loop cannot read it first): until it is read, that user's later messages are
    /// handed back behind it.
    /// </summary>
    public void HandingBackInOrder(UserMessage message)
    {
        if (OrderKey is not { } key)
        {
            return;
        }

        var user = key(message);
        lock (_waitingUsers)
        {
            _waitingUsers[user] = message;
            Volatile.Write(ref _waitingUserCount, _waitingUsers.Count);
        }
    }

    /// <summary>Gets whether messages handed back by the storage writer wait in memory, not read yet.</summary>
    public bool HoldsHandedBack => !_handedBack.IsEmpty;

    /// <summary>
    /// At shutdown (the queue completed): gives the handed-back messages not read yet to the storage writer, after the
    /// staged ones (see <see cref="ReturnToStorage"/>). Those handed back only to follow an older message of their user are
    /// written to the folder rather than dropped with the process; one the folder cannot take is handed back again.
    /// </summary>
    public void ReturnHandedBackToStorage()
    {
        lock (_spareEnvelopes)
        {
            while (_handedBack.TryDequeue(out var message))
            {
                _handedBackOut++;
                ReadHandedBack(message);
                _toStorage.Enqueue(message);
            }
        }
    }

    // A handed-back message was read: if it was its user's last one handed back in order, the user's next messages are
    // written again (they are read from the disk after this one is staged).
    private void ReadHandedBack(UserMessage message)
    {
        if (Volatile.Read(ref _waitingUserCount) == 0 || OrderKey is not { } key)
        {
            return;
        }

        var user = key(message);
        lock (_waitingUsers)
        {
            if (_waitingUsers.TryGetValue(user, out var last) && ReferenceEquals(last, message))
            {
                _waitingUsers.Remove(user);
                Volatile.Write(ref _waitingUserCount, _waitingUsers.Count);
            }
        }
    }
}
