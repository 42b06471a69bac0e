using System.Collections.Concurrent;
using GrowlyticsSdk.Messages;
using GrowlyticsSdk.Storage;
using GrowlyticsSdk.Threading;

namespace GrowlyticsSdk.Delivery;

/// <summary>
/// The memory queue as a message source. With storage as the buffer, the storage writer owns the queue and this source
/// reads only what the writer handed back (messages it could not write); when the disk fails or there is no storage,
/// it reads the queue itself, so delivery goes on from memory.
/// </summary>
internal sealed partial class MemorySource : IMessageSource
{
    /// <summary>The spare envelopes always kept (see <see cref="TrimUnused"/>): about 0.8 MB.</summary>
    public const int SparesKeptWhenQuiet = 8192;

    // The most spare envelopes kept: as many as a burst of one user's messages staged at once can use, so the next burst
    // allocates none (about 96 bytes each: 6 MB at 65,536), never more than the queue can hold.
    private const int MostSpareEnvelopes = 65_536;
    private readonly int _maxSpareEnvelopes;
    private readonly MessageQueue _queue;

    // Where delivered messages go (see Reuse): the calls' pool.
    private readonly MessagePool _messagePool;
    // Messages the storage writer handed back, each with the stored queue's end when it was (see HandBack).
    private readonly ConcurrentQueue<(UserMessage Message, StoredPosition End)> _handedBack = new();

    // Staged messages given back to the storage writer at shutdown (see ReturnToStorage): it takes them before the queue's.
    private readonly ConcurrentQueue<UserMessage> _toStorage = new();

    // Set once this source has handed out a message while storage was configured but not the buffer (see SentWithoutStorage).
    private volatile bool _readAroundStorage;

    // Envelopes of delivered messages, for the next ones read (a staged message needs one; about 96 bytes each).
    private readonly Stack<Envelope> _spareEnvelopes = new();

    // A read's group of messages taken from the queue (under the readers' lock; see Read).
    private readonly UserMessage?[] _taking = new UserMessage?[16];

    // The fewest spare envelopes kept at any moment since the last TrimUnused: that many were not needed meanwhile.
    private int _sparesLowWater;

    // Envelopes made because no spare was left, ever (see EnvelopesMade).
    private long _envelopesMade;
    private Func<bool> _queueOwnedByStorage = static () => false;

    // Messages the storage writer has taken from the queue and not yet written or handed back.
    private int _withWriter;

    // Messages the storage writer has written or handed back, ever (see WriterMark).
    private long _leftWriter;

    // Messages handed back by the storage writer, ever (see HandedBackMark), and read back, ever (under the readers' lock).
    private long _handedBackIn;
    private long _handedBackOut;

    public MemorySource(MessageQueue queue, int maxQueueSize = MostSpareEnvelopes, MessagePool? messagePool = null)
    {
        _queue = queue;
        _messagePool = messagePool ?? MessagePool.Shared;
        _maxSpareEnvelopes = Math.Max(1, Math.Min(maxQueueSize, MostSpareEnvelopes));
    }

    /// <summary>Gets the calls the messages in memory settle (an upsert carrying held pushes settles several).</summary>
    public long Pending => _queue.PendingCalls;

    /// <summary>Gets 0: the queue settles a message as soon as it is counted.</summary>
    public long Settling => 0;

    /// <summary>Gets a value indicating whether there are messages to read now.</summary>
    public bool HasUnread => !_handedBack.IsEmpty || (_queue.Unread > 0 && !_queueOwnedByStorage());

    /// <summary>Lets storage take the queue over while it writes; the function says when it does.</summary>
    public void ShareWith(Func<bool> queueOwnedByStorage) => _queueOwnedByStorage = queueOwnedByStorage;

    /// <summary>
    /// Returns once no read is under way: called when the storage writer has begun to own the queue, so that a read that
    /// began before (and takes from the queue to its end) does not take a user's newer messages while the writer stores
    /// older ones; reads that begin from now on leave the queue to the writer.
    /// </summary>
    public void WaitForReads()
    {
        lock (_spareEnvelopes)
        {
        }
    }

    /// <summary>Gets a value indicating whether the storage writer takes the queue now (its folder owned, its disk working).</summary>
    public bool StorageIsBuffer => _queueOwnedByStorage();

    /// <summary>
    /// Gets a value indicating whether this source ever handed out a message the storage writer did not write (handed back
    /// by it, or read while it did not own the queue): only then can messages from memory be staged with storage on.
    /// </summary>
    public bool SentWithoutStorage => _readAroundStorage;

    /// <summary>
    /// Gives a message read from memory (staged, in no request, settled by the caller without a count) to the storage
    /// writer: it stays counted here until the writer writes it, or hands it back to be sent from memory.
    /// </summary>
    public void ReturnToStorage(UserMessage message)
    {
        _toStorage.Enqueue(message);
        _queue.WakeStorageIfIdle();
    }

    /// <summary>Takes the oldest message from the queue for the storage writer, or <see langword="null"/> if it is empty.</summary>
    public UserMessage? TakeForStorage()
    {
        // Counted before it leaves the queue, so FlushCount never misses it on the way (and, for a moment, counts one the
        // queue turns out not to have: see Dispatcher.NothingUnsettled).
        Interlocked.Increment(ref _withWriter);
        AfterWriterCounted?.Invoke();
        if (_toStorage.TryDequeue(out var returned) || _queue.TryRead(out returned))
        {
            return returned;
        }

        Interlocked.Decrement(ref _withWriter);
        WriterFoundNothing?.Invoke();
        return null;
    }

    /// <summary>
    /// Gets or sets what is told when the storage writer counted a take and found nothing (it polls at every commit): a
    /// flush registered meanwhile counted a message too many, and the dispatcher must look again (see
    /// <see cref="Dispatcher.WakeIfFlushesWait"/>).
    /// </summary>
    internal Action? WriterFoundNothing { get; set; }

    /// <summary>Records that the storage writer wrote a message it took: memory no longer holds it.</summary>
    public void WrittenByStorage(UserMessage message)
    {
        _queue.Release(MessageSize.Estimate(message), message.Calls);
        Interlocked.Increment(ref _leftWriter);
        Interlocked.Decrement(ref _withWriter);
    }

    /// <summary>Gets a mark of what the storage writer holds now, for <see cref="WriterDoneSince"/>.</summary>
    public (long Left, int Held) WriterMark
    {
        get
        {
            // Held first: a message that leaves in between makes the mark wait for one more, never for one fewer.
            var held = Volatile.Read(ref _withWriter);
            return (Volatile.Read(ref _leftWriter), held);
        }
    }

    /// <summary>Gets whether every message the storage writer held at <paramref name="mark"/> was written or handed back.</summary>
    public bool WriterDoneSince((long Left, int Held) mark) =>
        Volatile.Read(ref _withWriter) == 0 || Volatile.Read(ref _leftWriter) >= mark.Left + mark.Held;

    /// <summary>
    /// Gets or sets what tells the stored queue's end (see <see cref="DurableQueue.End"/>), asked on the storage writer's
    /// thread as it hands messages back.
    /// </summary>
    internal Func<StoredPosition>? StoreEnd { get; set; }

    /// <summary>
    /// Takes back messages the storage writer read but could not write: they are sent from memory, after the records it
    /// wrote before (they may be older messages of their users) and before those it writes after (later calls: a flush
    /// counted these messages, not those, and its target is a count of the first messages read).
    /// </summary>
    public void HandBack(List<UserMessage> messages) => HandBack(messages, StoreEnd?.Invoke() ?? StoredPosition.First);

    private void HandBack(List<UserMessage> messages, StoredPosition end)
    {
        foreach (var message in messages)
        {
            _handedBack.Enqueue((message, end));
            Interlocked.Increment(ref _handedBackIn);
        }

        // Uncounted only once they are counted as handed back (see FlushCount).
        Interlocked.Add(ref _leftWriter, messages.Count);
        Interlocked.Add(ref _withWriter, -messages.Count);
    }

    public int Read(List<Envelope> into, int maxCount) => Read(into, maxCount, includeStorageOwned: false);

    /// <summary>
    /// Gets how many messages the storage writer has handed back, ever: taken before the loop reads the disk, it bounds
    /// what <see cref="Read(List{Envelope}, int, long, StoredPosition)"/> takes of them after that read. A message handed back later may
    /// follow older ones of its user appended to the disk after that read (the writer appends them first): it waits for
    /// the next read of the disk.
    /// </summary>
    public long HandedBackMark => Interlocked.Read(ref _handedBackIn);

    /// <summary>
    /// Gets the stored queue's end when the oldest handed-back message not read yet was handed back, or
    /// <see langword="null"/> when there is none: the loop reads the records before it, then that message (see
    /// <see cref="Read(List{Envelope}, int, long, StoredPosition)"/>), then those after.
    /// </summary>
    public StoredPosition? OldestHandedBackEnd => _handedBack.TryPeek(out var oldest) ? oldest.End : null;

    /// <summary>
    /// As <see cref="Read(List{Envelope}, int)"/>, taking only the messages handed back up to <paramref name="handedBackMark"/>
    /// and when the stored queue's end was at or before <paramref name="readTo"/> (every record before it read).
    /// </summary>
    public int Read(List<Envelope> into, int maxCount, long handedBackMark, StoredPosition readTo) => Read(into, maxCount, includeStorageOwned: false, handedBackMark, readTo);

    /// <summary>
    /// Takes every message held in memory, those the storage writer has not taken yet included (to drop them: what the
    /// writer takes meanwhile reaches the disk source instead).
    /// </summary>
    public int ReadAll(List<Envelope> into) => Read(into, int.MaxValue, includeStorageOwned: true);

    /// <summary>Takes the oldest messages held in memory, at most <paramref name="maxCount"/>, as <see cref="ReadAll(List{Envelope})"/> does.</summary>
    public int ReadAll(List<Envelope> into, int maxCount) => Read(into, maxCount, includeStorageOwned: true);

    /// <summary>Gets the number of messages in memory not read yet (handed back by the storage writer included).</summary>
    /// <remarks>
    /// The queue first: a message the storage writer takes from it and hands back in between is counted twice rather
    /// than not at all. Counts only what memory can read back (the opt-in limit); a flush uses <see cref="FlushCount"/>.
    /// Taken under the readers' lock: a read counts the messages it takes from the queue only once it has taken them all
    /// (see <see cref="MessageQueue.TryTake"/>), and the opt-in limit must not count them as unread meanwhile.
    /// </remarks>
    public int UnreadCount
    {
        get
        {
            lock (_spareEnvelopes)
            {
                return _queue.Unread + _handedBack.Count;
            }
        }
    }

    /// <summary>Gets or sets a test seam: called under the readers' lock after each message a read takes from the queue, before it is counted read.</summary>
    internal Action? AfterTake { get; set; }

    /// <summary>Gets or sets a test seam: called on the storage writer's thread when it has counted a take, before it looks at the queue.</summary>
    internal Action? AfterWriterCounted { get; set; }

    /// <summary>Gets <see langword="false"/>: memory hands out what it holds whatever is still unsettled.</summary>
    public bool WaitsForOldest => false;

    /// <summary>
    /// Gets what a flush from memory waits for: <see cref="UnreadCount"/> and the messages the storage writer holds
    /// meanwhile (if its write fails they are handed back and sent from memory).
    /// </summary>
    /// <remarks>
    /// Read in the order a message moves (queue, writer, handed back), each counted before it leaves the one before: a
    /// message on the way is counted twice rather than not at all (the target may be too high, never too low). Not for
    /// the opt-in limit: that one counts only what memory can read back.
    /// </remarks>
    public long FlushCount => (long)_queue.Unread + _toStorage.Count + Volatile.Read(ref _withWriter) + _handedBack.Count;

    /// <summary>
    /// Gets how many messages the storage writer can take from memory now, never too few: the staged ones given back to it
    /// and the queue's unread ones (counted before they are in the queue, so a call on its way in is counted too).
    /// </summary>
    public long ForStorage => (long)_toStorage.Count + _queue.Unread;

    /// <summary>Gets a value indicating whether the storage writer holds messages it took from memory (writing them now).</summary>
    public bool WithWriter => Volatile.Read(ref _withWriter) > 0;

    /// <summary>
    /// Gets how many of the messages the queue counts as read delivery does not hold: those the storage writer took and
    /// has not written or handed back, those it handed back that delivery has not read yet, and those given back to it. Never
    /// too few (a message moving from the writer to the handed-back ones may be counted in both for a moment), so what
    /// delivery holds (the queue's read messages less these) is never overstated, and a read it caps is never held back by
    /// messages it does not hold.
    /// </summary>
    public long NotWithDelivery => (long)Volatile.Read(ref _withWriter) + _handedBack.Count + _toStorage.Count;

    public void Settled(Envelope envelope) => _queue.Release(envelope.EstimatedBytes, envelope.Message.Calls);

    public void Dropped(Envelope envelope, DropReason reason) => Settled(envelope);

    /// <summary>Settles messages of this source that <see cref="Settler.DeliveredLater"/> settled, all at once.</summary>
    public void Settled(in DeliveredTally tally) => _queue.Release(tally.Messages, tally.EstimatedBytes, tally.Calls);

    private int Read(List<Envelope> into, int maxCount, bool includeStorageOwned, long handedBackMark = long.MaxValue, StoredPosition? readTo = null)
    {
        lock (_spareEnvelopes)
        {
            var read = 0;
            var readToEnd = readTo ?? StoredPosition.Last;

            // (Only readers, under this lock, take from the handed-back queue: the one peeked is the one taken.)
            while (read < maxCount && _handedBackOut < handedBackMark && _handedBack.TryPeek(out var next) && next.End.IsAtOrBefore(readToEnd))
            {
                _handedBack.TryDequeue(out _);
                var message = next.Message;
                _handedBackOut++;
                ReadHandedBack(message);
                into.Add(Wrap(message));
                read++;
            }

            if (read < maxCount && !_handedBack.IsEmpty)
            {
                // Handed back after the disk was read, or after records not read yet: read after the next read of the disk,
                // and before anything newer.
                _readAroundStorage |= read > 0;
                return read;
            }

            // Given to the storage writer at shutdown: read back only to be dropped, or if storage stopped being the buffer.
            while (read < maxCount && (includeStorageOwned || !_queueOwnedByStorage()) && _toStorage.TryDequeue(out var returned))
            {
                into.Add(Wrap(returned));
                read++;
            }

            if (!includeStorageOwned && _queueOwnedByStorage())
            {
                _readAroundStorage |= read > 0;
                return read;
            }

            // Counted read once, after the loop (see MessageQueue.TryTake), whatever happens in it.
            var taken = 0;
            long takenJson = 0;
            long takenBytes = 0;
            try
            {
                // In groups: a group's messages are taken and announced to the processor first (CacheHint), so their
                // lines come in together rather than one miss after another as each is measured and wrapped.
                var group = _taking;
                while (read < maxCount)
                {
                    var count = 0;
                    while (count < group.Length && read + count < maxCount && _queue.TryTake(out var message))
                    {
                        group[count++] = message;
                        taken++;
                        CacheHint.Prefetch(message);
                        AfterTake?.Invoke();
                    }

                    for (var i = 0; i < count; i++)
                    {
                        var message = group[i]!;
                        group[i] = null;
                        takenJson += MessageSize.EstimateJson(message);
                        takenBytes += MessageSize.Estimate(message);
                        into.Add(Wrap(message));
                        read++;
                    }

                    if (count < group.Length)
                    {
                        break;
                    }
                }
            }
            finally
            {
                try
                {
                    // Empty already, unless a fault came part-way through a group: those taken are counted read all the
                    // same, and are not kept alive there.
                    for (var i = 0; i < _taking.Length; i++)
                    {
                        if (_taking[i] is { } left)
                        {
                            _taking[i] = null;
                            takenJson += MessageSize.EstimateJson(left);
                            takenBytes += MessageSize.Estimate(left);
                        }
                    }
                }
                finally
                {
                    if (taken > 0)
                    {
                        _queue.CountTaken(taken, takenJson, takenBytes);
                    }
                }
            }

            _readAroundStorage |= read > 0;
            return read;
        }
    }
}
