namespace GrowlyticsSdk.Delivery;

/// <summary>A growable ring buffer with both ends open: a partition's messages, with retried ones put back in front.</summary>
internal sealed class Deque<T> : IReadOnlyList<T>
{
    private T[] _items = new T[4];
    private int _head;

    public int Count { get; private set; }

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
    }

    public void AddFirst(T item)
    {
        Touched = true;
        Grow();
        _head = (_head - 1) & (_items.Length - 1);
        _items[_head] = item;
        Count++;
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

    private void Grow()
    {
        if (Count < _items.Length)
        {
            return;
        }

        var bigger = new T[_items.Length * 2];
        for (var i = 0; i < Count; i++)
        {
            bigger[i] = _items[(_head + i) & (_items.Length - 1)];
        }

        _items = bigger;
        _head = 0;
    }
}
