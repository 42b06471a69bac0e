namespace GrowlyticsSdk.Delivery;

/// <summary>A growable ring buffer with both ends open: a partition's messages, with retried ones put back in front.</summary>
internal sealed class Deque<T> : IReadOnlyList<T>
{
    private const int MinimumCapacity = 4;
    private T[] _items = new T[MinimumCapacity];
    private int _head;

    // The most items held at once since the last TrimExcess.
    private int _peak;

    public int Count { get; private set; }

    /// <summary>Gets the number of items the array has room for.</summary>
    public int Capacity => _items.Length;

    /// <summary>Gets or sets a value indicating whether an item was added since this was last set to <see langword="false"/>.</summary>
    public bool Touched { get; set; }

    public T First => _items[_head];

    public T this[int index] => _items[(_head + index) & (_items.Length - 1)];

    public void AddLast(T item)
    {
        Touched = true;
        Grow();
        _items[(_head + Count) & (_items.Length - 1)] = item;
        Count++;
        _peak = Math.Max(_peak, Count);
    }

    public void AddFirst(T item)
    {
        Touched = true;
        Grow();
        _head = (_head - 1) & (_items.Length - 1);
        _items[_head] = item;
        Count++;
        _peak = Math.Max(_peak, Count);
    }

    public T RemoveFirst()
    {
        var item = _items[_head];
        _items[_head] = default!;
        _head = (_head + 1) & (_items.Length - 1);
        Count--;
        return item;
    }

    /// <summary>Removes every item (their slots cleared), keeping the array.</summary>
    public void Clear()
    {
        while (Count > 0)
        {
            RemoveFirst();
        }
    }

    public IEnumerator<T> GetEnumerator()
    {
        for (var i = 0; i < Count; i++)
        {
            yield return this[i];
        }
    }

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>
    /// Makes the array as small as the most items held at once since the last call needed (a power of two, at least 4) when
    /// it has room for more than twice that: an array grows with a backlog and did not shrink when the backlog was gone,
    /// so a list kept in use (a busy partition) kept the room of its largest backlog. Then starts counting that most again.
    /// </summary>
    public void TrimExcess()
    {
        var needed = MinimumCapacity;
        while (needed < _peak)
        {
            needed <<= 1;
        }

        if (_items.Length > 2 * needed)
        {
            Resize(needed);
        }

        _peak = Count;
    }

    private void Grow()
    {
        if (Count < _items.Length)
        {
            return;
        }

        Resize(_items.Length * 2);
    }

    // Moves the items, in order, to the start of an array of the given size (a power of two, at least Count).
    private void Resize(int capacity)
    {
        var resized = new T[capacity];
        for (var i = 0; i < Count; i++)
        {
            resized[i] = _items[(_head + i) & (_items.Length - 1)];
        }

        _items = resized;
        _head = 0;
    }
}
