using GrowlyticsSdk.Validation;

namespace GrowlyticsSdk.Messages;

/// <summary>
/// Messages and attribute arrays of delivered calls, kept to carry later calls. A message waiting to be sent is an object
/// the collector copies (from generation 0 to 1, then to 2) while it waits; once delivered, its message and attribute
/// array (up to <see cref="MostAttributes"/> attributes) come back here, so a call that follows delivered ones allocates
/// no message and no attribute array (values the caller's attributes box, such as an anonymous object's numbers, are
/// still allocated). Calls made while none is kept (a burst larger than what was delivered before) allocate as without
/// a pool.
/// </summary>
/// <remarks>
/// <para>
/// A message comes back only when nothing refers to it: from the dispatcher once it is delivered (its envelope is recycled
/// in the same step, see <c>MemorySource.Reuse</c>), and from the queue when a call's message is not queued (refused,
/// dropped for a full queue, cancelled while it waited for room) or an unread one is dropped for a new one (<c>DropOldest</c>);
/// only messages a pool made (<see cref="UserMessage.Pooled"/>) are kept. A
/// returned message lets go of its ids and values at once (<see cref="UserMessage.Forget"/>, the array cleared): nothing a
/// user sent stays reachable from the pool.
/// </para>
/// <para>
/// Each thread keeps one chunk of up to <see cref="ChunkSize"/> of each kind; full chunks go to a shared shelf under a
/// lock, so a call takes the lock once in <see cref="ChunkSize"/>, and calls that find nothing kept (a burst beyond what
/// was delivered) take none: a thread with no emptied chunk to hand over checks the shelf's count without it. At most
/// <see cref="MostKept"/> messages and as many attribute arrays (all lengths together) are kept on the shelves, about
/// 10 MB for 3-attribute updates, plus what
/// threads hold in their chunks (up to <see cref="ChunkSize"/> of each kind per thread that called or delivered,
/// all cleared, never trimmed); what was not needed since the last <see cref="TrimUnused"/> (the dispatcher calls it about once a
/// minute) is let go of, down to <see cref="KeptWhenQuiet"/> of each kind, and a client that shuts down lets go of
/// everything beyond that (<see cref="TrimToQuiet"/>). The shared pool serves every client in the process: each client's
/// dispatcher trims it, and one that shuts down trims it for all.
/// </para>
/// </remarks>
internal sealed class MessagePool
{
    /// <summary>Attribute arrays longer than this are not kept (their lengths vary too much); their messages are.</summary>
    public const int MostAttributes = 8;

    /// <summary>The most messages (and, all lengths together, attribute arrays) the shelves keep.</summary>
    public const int MostKept = 65_536;

    /// <summary>What <see cref="TrimUnused"/> always keeps of each kind: about 1.3 MB for 3-attribute updates.</summary>
    public const int KeptWhenQuiet = 8_192;

    /// <summary>The items a thread's cache moves to or from a shelf at once.</summary>
    public const int ChunkSize = 64;

    // The calling thread's chunks, for one pool with thread caches at a time (the shared one, outside tests).
    [ThreadStatic]
    private static ThreadCaches? t_caches;

    private readonly PoolShelf<UserMessage> _messages;
    private readonly PoolShelf<UserAttribute[]>[] _arrays;
    private readonly bool _threadCaches;

    /// <summary>Creates a pool.</summary>
    /// <param name="threadCaches">
    /// Whether calls go through the calling thread's chunks (a thread keeps chunks for one such pool at a time: another one
    /// that it then uses replaces them); without, every call goes to the shelves, which tests can count exactly.
    /// </param>
    public MessagePool(bool threadCaches = false)
    {
        _threadCaches = threadCaches;
        _messages = new PoolShelf<UserMessage>(MostKept / ChunkSize, new PoolBudget(MostKept / ChunkSize));
        var arrayBudget = new PoolBudget(MostKept / ChunkSize);
        _arrays = new PoolShelf<UserAttribute[]>[MostAttributes + 1];
        for (var i = 1; i < _arrays.Length; i++)
        {
            _arrays[i] = new PoolShelf<UserAttribute[]>(MostKept / ChunkSize, arrayBudget);
        }
    }

    /// <summary>Gets the pool every client uses unless a test gives it its own.</summary>
    public static MessagePool Shared { get; } = new(threadCaches: true);

    /// <summary>Gets the messages on the shelves now (not those in threads' caches).</summary>
    public int KeptMessages => _messages.Items;

    /// <summary>Gets how many times threads' caches went to the shelves (messages and arrays) for a full chunk, for tests.</summary>
    internal int ShelfVisits => _messages.Visits + _arrays.Skip(1).Sum(shelf => shelf.Visits);

    /// <summary>Gets the attribute arrays of <paramref name="length"/> on the shelves now (not those in threads' caches).</summary>
    public int KeptArrays(int length) => length is > 0 and <= MostAttributes ? _arrays[length].Items : 0;

    /// <summary>
    /// An attribute array of exactly <paramref name="length"/>, cleared: a returned one when one is kept, else a new one.
    /// Whoever takes it owns it; it comes back only with a pooled message that carries it.
    /// </summary>
    public UserAttribute[] RentAttributes(int length)
    {
        if (length == 0)
        {
            return [];
        }

        if (length <= MostAttributes && Take(_arrays[length], ArrayCache(length)) is { } array)
        {
            return array;
        }

        return new UserAttribute[length];
    }

    /// <summary>A message for a call: a returned one when one is kept (made as new), else a new one; either way pooled.</summary>
    public UserMessage Rent(MessageType type, long sequence, DateTimeOffset timestamp, string? anonymousId, string? userId, UserAttribute[] attributes)
    {
        if (Take(_messages, Caches()?.Messages) is not { } message)
        {
            return new UserMessage(type, sequence, timestamp, anonymousId, userId, attributes, pooled: true);
        }

        message.Reset(type, sequence, timestamp, anonymousId, userId, attributes);
        return message;
    }

    /// <summary>
    /// Takes back a delivered message and its attribute array: the caller guarantees nothing refers to either any more.
    /// A message this pool did not make is left to the collector.
    /// </summary>
    public void Return(UserMessage message)
    {
        var attributes = message.Attributes;
        if (!message.Pooled || !message.Forget())
        {
            // Not this pool's, or given back already: a message kept twice would carry two calls at once.
            return;
        }

        if (attributes.Length is > 0 and <= MostAttributes)
        {
            Array.Clear(attributes, 0, attributes.Length);
            Put(_arrays[attributes.Length], ArrayCache(attributes.Length), attributes);
        }

        Put(_messages, Caches()?.Messages, message);
    }

    /// <summary>
    /// Lets go of what no call needed since the last trim (the fewest kept at any moment since), keeping
    /// <see cref="KeptWhenQuiet"/> of each kind: what a burst left goes once calls have not needed it for a while.
    /// </summary>
    public void TrimUnused() => Trim(all: false);

    /// <summary>Lets go of everything beyond <see cref="KeptWhenQuiet"/> of each kind (a client shut down).</summary>
    public void TrimToQuiet() => Trim(all: true);

    private void Trim(bool all)
    {
        _messages.TrimUnused(KeptWhenQuiet / ChunkSize, all);

        // The arrays of all lengths together keep what is kept when quiet, the shorter first.
        var kept = KeptWhenQuiet / ChunkSize;
        for (var i = 1; i < _arrays.Length; i++)
        {
            kept = Math.Max(0, kept - _arrays[i].TrimUnused(kept, all));
        }
    }

    private static T? Take<T>(PoolShelf<T> shelf, PoolCache<T>? cache)
        where T : class =>
        cache is null ? shelf.TakeOne() : cache.Take(shelf);

    private static void Put<T>(PoolShelf<T> shelf, PoolCache<T>? cache, T item)
        where T : class
    {
        if (cache is null)
        {
            shelf.PutOne(item);
        }
        else
        {
            cache.Put(shelf, item);
        }
    }

    private PoolCache<UserAttribute[]>? ArrayCache(int length) => Caches()?.Arrays[length];

    private ThreadCaches? Caches()
    {
        if (!_threadCaches)
        {
            return null;
        }

        var caches = t_caches;
        if (caches is null || !ReferenceEquals(caches.Owner, this))
        {
            t_caches = caches = new ThreadCaches(this);
        }

        return caches;
    }

    private sealed class ThreadCaches
    {
        public ThreadCaches(MessagePool owner)
        {
            Owner = owner;
            Arrays = new PoolCache<UserAttribute[]>[MostAttributes + 1];
            for (var i = 1; i < Arrays.Length; i++)
            {
                Arrays[i] = new PoolCache<UserAttribute[]>();
            }
        }

        public MessagePool Owner { get; }

        public PoolCache<UserMessage> Messages { get; } = new();

        public PoolCache<UserAttribute[]>[] Arrays { get; }
    }
}
