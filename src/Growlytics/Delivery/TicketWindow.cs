namespace GrowlyticsSdk.Delivery;

/// <summary>
/// Tracks which messages, numbered in the order the dispatcher read them, are settled, and the floor below which all
/// are. Batches settle out of order (many in flight, retries in between), so a flush waits for the floor to pass its
/// target rather than for a count. A bit per message between the floor and the newest ticket; used by one thread. The
/// window grows while the floor waits for an old ticket and new ones are issued (one user's request retried while the
/// others' are delivered: a bit for every message read meanwhile), and is made smaller again once the floor has caught up
/// (see <see cref="ShrinkIfSparse"/>), so what a long wait took is not kept for the life of the process.
/// </summary>
internal sealed class TicketWindow
{
    // The first room, and the least the window keeps: 4,096 tickets (512 bytes).
    private const int InitialWords = 64;

    private ulong[] _bits = new ulong[InitialWords];
    private long _floor;

    /// <summary>Gets the first ticket not yet settled (every ticket below it is).</summary>
    public long Floor => Volatile.Read(ref _floor);

    /// <summary>Gets the number of tickets the window has room for (a bit each, from the floor on).</summary>
    public long Capacity => _bits.Length * 64L;

    /// <summary>Gets the next ticket to hand out.</summary>
    public long Next { get; private set; }

    public long Issue()
    {
        EnsureRoom(Next - _floor + 1);
        return Next++;
    }

    public void Settle(long ticket)
    {
        if (ticket < _floor)
        {
            return;
        }

        var index = ticket & ((_bits.Length * 64L) - 1);
        _bits[index >> 6] |= 1UL << (int)(index & 63);
        var floor = _floor;
        while (floor < Next)
        {
            var at = floor & ((_bits.Length * 64L) - 1);
            var mask = 1UL << (int)(at & 63);
            if ((_bits[at >> 6] & mask) == 0)
            {
                break;
            }

            _bits[at >> 6] &= ~mask;
            floor++;
        }

        Volatile.Write(ref _floor, floor);
        ShrinkIfSparse();
    }

    private void EnsureRoom(long span)
    {
        if (span > _bits.Length * 64L)
        {
            Resize(_bits.Length * 2);
        }
    }

    /// <summary>
    /// Once the tickets from the floor to the newest fit in a quarter of the window, halves it until they would not (never
    /// below the first room): it grows again only once they have doubled, so the copy (of those tickets' bits) comes at
    /// most once per halving. Kept at its largest, a wait of one <see cref="GrowlyticsOptions.RetryBudget"/> at a busy
    /// server's rate (20,000 messages a second for 2 minutes: 2.4 million tickets) left 512 KB for the life of the process,
    /// and a RetryBudget of a day could leave hundreds of MB.
    /// </summary>
    private void ShrinkIfSparse()
    {
        if (_bits.Length == InitialWords)
        {
            return;
        }

        var span = Next - _floor;
        var words = _bits.Length;
        while (words > InitialWords && span <= words * 16L)
        {
            words /= 2;
        }

        if (words != _bits.Length)
        {
            Resize(words);
        }
    }

    // Moves the bits of the tickets from the floor to the newest into a window of the given size (a power of two).
    private void Resize(int words)
    {
        var capacity = _bits.Length * 64L;
        var resized = new ulong[words];
        var resizedCapacity = words * 64L;
        for (var ticket = _floor; ticket < Next; ticket++)
        {
            var at = ticket & (capacity - 1);
            if ((_bits[at >> 6] & (1UL << (int)(at & 63))) != 0)
            {
                var to = ticket & (resizedCapacity - 1);
                resized[to >> 6] |= 1UL << (int)(to & 63);
            }
        }

        _bits = resized;
    }
}
