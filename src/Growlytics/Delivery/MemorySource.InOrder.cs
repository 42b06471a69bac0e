using GrowlyticsSdk.Messages;
using GrowlyticsSdk.Storage;

namespace GrowlyticsSdk.Delivery;

/// <summary>
/// Call order across a message the storage writer hands back because it cannot store it (larger than a record may be,
/// or not serializable): the loop reads the disk before memory, so a later message of the same user written to the disk
/// meanwhile would be read, and sent, first. While such a message has not been read, the writer hands back that user's
/// next messages too (<see cref="HandBackIfWaiting"/>), and they are read from memory behind it, in order; at shutdown
/// they all go to the writer (<see cref="ReturnHandedBackToStorage"/>).
/// </summary>
internal sealed partial class MemorySource
{
    // The users (by partition key) with a message handed back this way and not read yet: the last such message of each.
    private readonly Dictionary<string, UserMessage> _waitingUsers = new(StringComparer.Ordinal);

    // _waitingUsers.Count, read without the lock: 0 on every path but this rare one.
    private int _waitingUserCount;

    // Set at shutdown once no message is handed back to follow an older one any more (see EndHandingBackInOrder; under
    // _waitingUsers' lock).
    private bool _inOrderEnded;

    /// <summary>
    /// Gets or sets the key that orders a user's messages (the protocol's partition key): messages with the same key are
    /// sent in call order. <see langword="null"/>: no order is kept across a hand-back.
    /// </summary>
    internal Func<UserMessage, string>? OrderKey { get; set; }

    /// <summary>Gets the number of users whose messages the storage writer hands back to keep their order.</summary>
    internal int WaitingUsers => Volatile.Read(ref _waitingUserCount);

    /// <summary>
    /// For the storage writer, with a message it took: if its user has an older message the writer handed back that the
    /// loop has not read yet (written now, this one would be read first), hands it back behind it and returns
    /// <see langword="true"/>. Not once the shutdown has given the handed-back messages to the writer (or gives it none):
    /// from then on the user's messages are written to the folder, after those. Checked and handed back under one lock,
    /// so a shutdown's <see cref="ReturnHandedBackToStorage"/> either takes it too or comes first, and then the writer
    /// stores it.
    /// </summary>
    public bool HandBackIfWaiting(UserMessage message)
    {
        if (Volatile.Read(ref _waitingUserCount) == 0 || OrderKey is not { } key)
        {
            return false;
        }

        var user = key(message);

        // Taken outside the lock (the writer's thread is the only one that writes to the stored queue).
        var end = StoreEnd?.Invoke() ?? StoredPosition.First;
        lock (_waitingUsers)
        {
            if (_inOrderEnded || !_waitingUsers.ContainsKey(user))
            {
                return false;
            }

            _waitingUsers[user] = message;
            HandBack([message], end);
            return true;
        }
    }

    /// <summary>
    /// At shutdown: the storage writer hands back no more messages to follow an older one of their user (it stores them).
    /// Called when the handed-back messages are given to it (<see cref="ReturnHandedBackToStorage"/>), or when the
    /// shutdown gives it none.
    /// </summary>
    public void EndHandingBackInOrder()
    {
        lock (_waitingUsers)
        {
            _inOrderEnded = true;
        }
    }

    /// <summary>
    /// Records that the storage writer is about to hand back <paramref name="message"/> to keep its user's order (called
    /// before <see cref="HandBack(List{UserMessage})"/>, so the loop cannot read it first): until it is read, that user's later messages are
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
            // First, so the writer hands back no more behind these (such a message would stay in memory): it stores them,
            // after these.
            EndHandingBackInOrder();
            // Given to the writer before it leaves the handed-back queue (only readers, under this lock, take from that one):
            // a flush counting meanwhile (the writer's queue first, see FlushCount) counts it twice, never not at all.
            while (_handedBack.TryPeek(out var handedBack))
            {
                var message = handedBack.Message;
                _toStorage.Enqueue(message);
                _handedBack.TryDequeue(out _);
                _handedBackOut++;
                ReadHandedBack(message);
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
