namespace GrowlyticsSdk.Delivery;

/// <summary>
/// The staged messages, split by a stable hash of their partition key into many more partitions than requests in
/// flight. A partition is <em>blocked</em> while one of its batches is in flight or waiting for a retry; only the
/// others are <em>ready</em>, so a user's messages are never in two requests at once and go in order, and a failing
/// batch holds back only its own partitions. Used by the dispatcher's thread only.
/// </summary>
internal sealed class PartitionSet
{
    private readonly Deque<Envelope>?[] _messages;
    private readonly long[] _bytes;
    private readonly bool[] _blocked;
    private readonly bool[] _listed;
    // The ready partitions in line, oldest listed first (a partition taken but not used goes back in front: see Untake).
    private readonly Deque<int> _ready = new();
    private readonly int _mask;

    // The most of one ready partition's messages that count in SendableCount: what one request can take from it.
    private readonly int _perRequest;

    /// <summary>
    /// The fewest partitions a client has. Users whose keys share a partition wait behind each other's retries, so a
    /// failing request holds back, besides its own users, about one in this many of the others for each partition it
    /// took messages from; and one user's requests follow each other, so a partition holding several users' backlogs
    /// sends them one request after another. At 4,096, most of 1,000 active users have a partition to themselves (78 %
    /// for evenly spread keys, 64-88 % for sequential ids; at 256, 2 %), for about 80-90 KB of arrays per client and
    /// one small list per partition that holds messages (let go when unused: see <see cref="TrimUnused"/>).
    /// </summary>
    public const int MinimumCount = 4096;

    /// <param name="partitions">The fewest partitions (rounded up to a power of two).</param>
    /// <param name="perRequest">The most messages one request takes from a partition (see <see cref="SendableCount"/>).</param>
    public PartitionSet(int partitions, int perRequest = int.MaxValue)
    {
        _perRequest = Math.Max(1, perRequest);
        // A power of two, so the hash maps with a mask.
        var size = 1;
        while (size < partitions)
        {
            size <<= 1;
        }

        _messages = new Deque<Envelope>?[size];
        _bytes = new long[size];
        _blocked = new bool[size];
        _listed = new bool[size];
        _mask = size - 1;
    }

    /// <summary>Gets how many partitions a client with <paramref name="options"/> has: 16 per request it may have in flight, at least <see cref="MinimumCount"/>.</summary>
    public static int CountFor(GrowlyticsOptions options) => Math.Max(MinimumCount, 16 * options.EffectiveMaxConcurrentRequests);

    /// <summary>Gets the number of partitions.</summary>
    public int Size => _messages.Length;

    /// <summary>Gets the number of staged messages, blocked partitions included.</summary>
    public int Count { get; private set; }

    /// <summary>Gets the number of partitions that keep a list: they held a message, and <see cref="TrimUnused"/> has not let it go since.</summary>
    public int ListCount { get; private set; }

    /// <summary>Gets the slots the partitions' lists have room for, all together (for tests).</summary>
    public int ListSlots
    {
        get
        {
            var slots = 0;
            foreach (var queue in _messages)
            {
                slots += queue?.Capacity ?? 0;
            }

            return slots;
        }
    }

    /// <summary>Gets the number of staged messages in partitions that are ready to send.</summary>
    public int ReadyCount { get; private set; }

    /// <summary>Gets the estimated JSON bytes of the staged messages in ready partitions.</summary>
    public long ReadyBytes { get; private set; }

    /// <summary>
    /// Gets the staged messages in ready partitions that their next requests can take: each partition's up to one
    /// request's worth. A partition sends one request at a time, so one user's backlog beyond that fills no other slot:
    /// counted in full (as <see cref="ReadyCount"/> does), a backlog larger than the stage kept the dispatcher from reading
    /// other users' messages whenever it was ready, until it was down to the stage's size.
    /// </summary>
    public int SendableCount { get; private set; }

    /// <summary>FNV-1a over the key's UTF-16 units: the same partition for the same key in every process.</summary>
    public int PartitionOf(string key)
    {
        var hash = 2166136261u;
        foreach (var c in key)
        {
            hash = (hash ^ c) * 16777619u;
        }

        return (int)(hash & (uint)_mask);
    }

    public void Add(Envelope envelope)
    {
        var partition = envelope.Partition;
        var queue = ListOf(partition);
        var before = queue.Count;
        queue.AddLast(envelope);
        _bytes[partition] += envelope.JsonBytes;
        Count++;
        if (!_blocked[partition])
        {
            ReadyCount++;
            SendableCount += Sendable(before + 1) - Sendable(before);
            ReadyBytes += envelope.JsonBytes;
            List(partition);
        }
    }

    /// <summary>Puts messages back at the head of their partition, in order (their batch will be retried later).</summary>
    public void ReturnToFront(int partition, List<Envelope> envelopes)
    {
        var queue = ListOf(partition);
        var before = queue.Count;
        long bytes = 0;
        for (var i = envelopes.Count - 1; i >= 0; i--)
        {
            queue.AddFirst(envelopes[i]);
            bytes += envelopes[i].JsonBytes;
        }

        _bytes[partition] += bytes;
        Count += envelopes.Count;
        if (!_blocked[partition])
        {
            ReadyCount += envelopes.Count;
            SendableCount += Sendable(queue.Count) - Sendable(before);
            ReadyBytes += bytes;
            List(partition);
        }
    }

    /// <summary>Takes the next ready partition (non-empty, not blocked), oldest listed first.</summary>
    public bool TryTakeReady(out int partition)
    {
        while (_ready.Count > 0)
        {
            partition = _ready.RemoveFirst();
            _listed[partition] = false;
            if (!_blocked[partition] && _messages[partition] is { Count: > 0 })
            {
                return true;
            }
        }

        partition = -1;
        return false;
    }

    /// <summary>
    /// Lists a partition taken with <see cref="TryTakeReady"/> but not used (its next message did not fit in the request
    /// being built, or may not join it) back at the head of the line: it starts the next request. At the back it waited
    /// behind every partition listed since, and was put back again whenever a request reached it partly filled.
    /// </summary>
    public void Untake(int partition)
    {
        if (!_listed[partition])
        {
            _listed[partition] = true;
            _ready.AddFirst(partition);
        }
    }

    public Envelope? Peek(int partition) => _messages[partition] is { Count: > 0 } queue ? queue.First : null;

    public Envelope Dequeue(int partition)
    {
        var queue = _messages[partition]!;
        var envelope = queue.RemoveFirst();
        _bytes[partition] -= envelope.JsonBytes;
        Count--;
        if (!_blocked[partition])
        {
            ReadyCount--;
            SendableCount -= Sendable(queue.Count + 1) - Sendable(queue.Count);
            ReadyBytes -= envelope.JsonBytes;
        }

        return envelope;
    }

    /// <summary>
    /// Gets the messages staged in a partition, oldest first (<see langword="null"/> if it keeps no list: it never held a
    /// message, or <see cref="TrimUnused"/> let its list go). Not to be kept across a <see cref="TrimUnused"/>.
    /// </summary>
    public Deque<Envelope>? Messages(int partition) => _messages[partition];

    /// <summary>Gets the number of staged messages in <paramref name="partition"/>.</summary>
    public int CountOf(int partition) => _messages[partition]?.Count ?? 0;

    /// <summary>Gets the estimated JSON bytes of the staged messages in <paramref name="partition"/>.</summary>
    public long BytesOf(int partition) => _bytes[partition];

    public bool IsBlocked(int partition) => _blocked[partition];

    public void Block(int partition)
    {
        if (!_blocked[partition])
        {
            _blocked[partition] = true;
            ReadyCount -= _messages[partition]?.Count ?? 0;
            SendableCount -= Sendable(_messages[partition]?.Count ?? 0);
            ReadyBytes -= _bytes[partition];
        }
    }

    public void Unblock(int partition)
    {
        if (_blocked[partition])
        {
            _blocked[partition] = false;
            var count = _messages[partition]?.Count ?? 0;
            ReadyCount += count;
            SendableCount += Sendable(count);
            ReadyBytes += _bytes[partition];
            if (count > 0)
            {
                List(partition);
            }
        }
    }

    /// <summary>
    /// Removes the settled messages (stored ones the storage bound dropped while they were staged) from every partition,
    /// blocked ones included, into <paramref name="into"/>; the others keep their order.
    /// </summary>
    public void RemoveSettled(List<Envelope> into)
    {
        for (var partition = 0; partition < _messages.Length; partition++)
        {
            if (_messages[partition] is not { Count: > 0 } queue)
            {
                continue;
            }

            var before = queue.Count;
            for (var i = queue.Count; i > 0; i--)
            {
                var envelope = queue.RemoveFirst();
                if (!envelope.IsSettled)
                {
                    queue.AddLast(envelope);
                    continue;
                }

                into.Add(envelope);
                _bytes[partition] -= envelope.JsonBytes;
                Count--;
                if (!_blocked[partition])
                {
                    ReadyCount--;
                    ReadyBytes -= envelope.JsonBytes;
                }
            }

            if (!_blocked[partition])
            {
                SendableCount -= Sendable(before) - Sendable(queue.Count);
            }
        }
    }

    /// <summary>Removes every staged message (blocked partitions included) into <paramref name="into"/>.</summary>
    public void DrainAll(List<Envelope> into)
    {
        foreach (var queue in _messages)
        {
            while (queue is { Count: > 0 })
            {
                into.Add(queue.RemoveFirst());
            }
        }

        Array.Clear(_bytes, 0, _bytes.Length);
        Count = 0;
        ReadyCount = 0;
        SendableCount = 0;
        ReadyBytes = 0;
        _ready.Clear();
        Array.Clear(_listed, 0, _listed.Length);
    }

    /// <summary>
    /// Lets go of the list of every partition that is empty and took no message since the last call, so what many users
    /// (a list each, about 100 bytes) or one user's burst (its list's array grows with the backlog, up to the stage's
    /// bound) left goes back to the runtime one to two calls after its last use; the others are marked unused for the next
    /// call, and their arrays cut back to what they held at most since the last call (see <see cref="Deque{T}.TrimExcess"/>):
    /// in a busy server every partition takes messages every minute, so a backlog's array was kept for as long as the
    /// process ran, one per partition that ever held a backlog. The dispatcher calls this about once a minute, with the
    /// spare envelopes.
    /// </summary>
    public void TrimUnused()
    {
        for (var partition = 0; partition < _messages.Length; partition++)
        {
            if (_messages[partition] is not { } queue)
            {
                continue;
            }

            if (queue.Count == 0 && !queue.Touched)
            {
                _messages[partition] = null;
                ListCount--;
            }
            else
            {
                queue.Touched = false;
                queue.TrimExcess();
            }
        }
    }

    private int Sendable(int count) => Math.Min(count, _perRequest);

    private Deque<Envelope> ListOf(int partition)
    {
        if (_messages[partition] is { } queue)
        {
            return queue;
        }

        ListCount++;
        return _messages[partition] = new Deque<Envelope>();
    }

    private void List(int partition)
    {
        if (!_listed[partition])
        {
            _listed[partition] = true;
            _ready.AddLast(partition);
        }
    }
}
