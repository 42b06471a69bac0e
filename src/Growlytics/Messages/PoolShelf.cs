using GrowlyticsSdk.Threading;

namespace GrowlyticsSdk.Messages;

/// <summary>A count of full chunks that several shelves share, so their sum stays bounded.</summary>
internal sealed class PoolBudget(int mostChunks)
{
    private int _chunks;

    public bool TryAdd()
    {
        if (Interlocked.Increment(ref _chunks) <= mostChunks)
        {
            return true;
        }

        Interlocked.Decrement(ref _chunks);
        return false;
    }

    public void Remove(int chunks) => Interlocked.Add(ref _chunks, -chunks);
}

/// <summary>
/// The shared part of a <see cref="MessagePool"/> for one kind of item: full chunks of <see cref="MessagePool.ChunkSize"/>
/// under a lock, bounded by a budget, and one partly filled chunk for calls that have no thread cache.
/// </summary>
internal sealed class PoolShelf<T>(int mostChunks, PoolBudget budget)
    where T : class
{
    // Empty chunks that takers emptied, for putters to fill (at most as many as the shelf holds full ones; let go at each
    // trim): chunks move between threads instead of being made by one and dropped by another.
    private readonly Stack<T[]> _empty = new();
    private readonly Stack<T[]> _full = new();
    private T[]? _loose;
    private int _looseCount;
    private int _lowWater;

    // The full chunks' count, written under the lock whenever it changes and read without it (see HasFull).
    private int _fullChunks;
    private int _visits;

    /// <summary>Gets the items kept now.</summary>
    public int Items
    {
        get
        {
            lock (_full)
            {
                return (_full.Count * MessagePool.ChunkSize) + _looseCount;
            }
        }
    }

    /// <summary>
    /// Gets a value indicating whether a full chunk was kept when last seen, read without the lock: a thread's cache that
    /// finds none goes on without taking the lock (a burst beyond what was delivered takes no lock per call). A chunk put
    /// at that moment is missed, and a new item made instead; a chunk seen but taken by another thread first is looked for
    /// under the lock, as before.
    /// </summary>
    public bool HasFull => Volatile.Read(ref _fullChunks) != 0;

    /// <summary>Gets how many times a thread's cache came to the shelf for a full chunk (<see cref="TakeFull"/>), for tests.</summary>
    internal int Visits => Volatile.Read(ref _visits);

    /// <summary>Takes a full chunk, or <see langword="null"/> when none is kept; keeps <paramref name="emptied"/> for a putter.</summary>
    public T[]? TakeFull(T[]? emptied)
    {
        lock (_full)
        {
            _visits++;
            if (emptied is not null && _empty.Count < mostChunks)
            {
                _empty.Push(emptied);
            }

            if (_full.Count == 0)
            {
                return null;
            }

            var chunk = _full.Pop();
            CountFull();
            _lowWater = Math.Min(_lowWater, _full.Count);
            budget.Remove(1);
            return chunk;
        }
    }

    /// <summary>
    /// Keeps a full chunk and gives an empty one to fill next (one a taker emptied, else a new one); <see langword="null"/>
    /// when the shelf (or its budget) is full: the caller keeps its chunk and lets the item go.
    /// </summary>
    public T[]? PutFull(T[] chunk)
    {
        lock (_full)
        {
            if (_full.Count >= mostChunks || !budget.TryAdd())
            {
                return null;
            }

            _full.Push(chunk);
            CountFull();
            if (_empty.Count > 0)
            {
                return _empty.Pop();
            }
        }

        return new T[MessagePool.ChunkSize];
    }

    /// <summary>Takes one item, or <see langword="null"/>: for a pool without thread caches.</summary>
    public T? TakeOne()
    {
        lock (_full)
        {
            if (_looseCount == 0)
            {
                if (_full.Count == 0)
                {
                    return null;
                }

                _loose = _full.Pop();
                CountFull();
                _lowWater = Math.Min(_lowWater, _full.Count);
                budget.Remove(1);
                _looseCount = MessagePool.ChunkSize;
            }

            var item = _loose![--_looseCount];
            _loose[_looseCount] = null!;
            return item;
        }
    }

    /// <summary>Keeps one item: for a pool without thread caches.</summary>
    public void PutOne(T item)
    {
        lock (_full)
        {
            _loose ??= new T[MessagePool.ChunkSize];
            if (_looseCount == MessagePool.ChunkSize)
            {
                if (_full.Count >= mostChunks || !budget.TryAdd())
                {
                    return;
                }

                _full.Push(_loose);
                CountFull();
                _loose = new T[MessagePool.ChunkSize];
                _looseCount = 0;
            }

            _loose[_looseCount++] = item;
        }
    }

    /// <summary>
    /// Lets go of the full chunks no take needed since the last call (all of them beyond <paramref name="keptChunks"/> when
    /// <paramref name="all"/>), keeping at least <paramref name="keptChunks"/>; returns the full chunks kept.
    /// </summary>
    public int TrimUnused(int keptChunks, bool all = false)
    {
        lock (_full)
        {
            var unused = Math.Min(all ? int.MaxValue : _lowWater, _full.Count - Math.Max(0, keptChunks));
            if (unused > 0)
            {
                for (var i = 0; i < unused; i++)
                {
                    _full.Pop();
                }

                budget.Remove(unused);
                _full.TrimExcess();
                CountFull();
            }

            _empty.Clear();
            _lowWater = _full.Count;
            return _full.Count;
        }
    }

    // Under the lock, after every change to the full chunks.
    private void CountFull() => Volatile.Write(ref _fullChunks, _full.Count);
}

/// <summary>
/// One thread's part of a <see cref="MessagePool"/> for one kind of item: the chunk it takes from and puts into, so a thread
/// goes to the shelf once a chunk. An emptied chunk goes to the shelf for a putter; a full one comes back empty.
/// </summary>
internal sealed class PoolCache<T>
    where T : class
{
    private T[]? _chunk;
    private int _count;

    public T? Take(PoolShelf<T> shelf)
    {
        if (_count == 0)
        {
            // With no emptied chunk to hand over and none full on the shelf (a burst beyond what was delivered), the call
            // makes its own item without taking the shelf's lock.
            if (_chunk is null && !shelf.HasFull)
            {
                return null;
            }

            if (shelf.TakeFull(_chunk) is not { } full)
            {
                _chunk = null;
                return null;
            }

            _chunk = full;
            _count = MessagePool.ChunkSize;
        }

        var item = _chunk![--_count];
        _chunk[_count] = null!;

        // The next call takes the one below: its lines start coming now, while this one is filled (see CacheHint).
        if (_count > 0)
        {
            CacheHint.Prefetch(_chunk[_count - 1]);
        }

        return item;
    }

    public void Put(PoolShelf<T> shelf, T item)
    {
        if (_chunk is null)
        {
            _chunk = new T[MessagePool.ChunkSize];
        }
        else if (_count == MessagePool.ChunkSize)
        {
            if (shelf.PutFull(_chunk) is not { } empty)
            {
                // The shelf is full: this one is left to the collector.
                return;
            }

            _chunk = empty;
            _count = 0;
        }

        _chunk[_count++] = item;
    }
}
