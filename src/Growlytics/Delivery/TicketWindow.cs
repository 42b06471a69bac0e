namespace GrowlyticsSdk.Delivery;

/// <summary>
/// Tracks which messages, numbered in the order the dispatcher read them, are settled, and the floor below which all
/// are. Batches settle out of order (many in flight, retries in between), so a flush waits for the floor to pass its
/// target rather than for a count. A bit per message between the floor and the newest ticket; used by one thread.
/// </summary>
internal sealed class TicketWindow
{
    private ulong[] _bits = new ulong[64];
    private long _floor;

    /// <summary>Gets the first ticket not yet settled (every ticket below it is).</summary>
    public long Floor => Volatile.Read(ref _floor);

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
    }

    private void EnsureRoom(long span)
    {
        var capacity = _bits.Length * 64L;
        if (span <= capacity)
        {
            return;
        }

        var bigger = new ulong[_bits.Length * 2];
        var biggerCapacity = bigger.Length * 64L;
        for (var ticket = _floor; ticket < Next; ticket++)
        {
            var at = ticket & (capacity - 1);
            if ((_bits[at >> 6] & (1UL << (int)(at & 63))) != 0)
            {
                var to = ticket & (biggerCapacity - 1);
                bigger[to >> 6] |= 1UL << (int)(to & 63);
            }
        }

        _bits = bigger;
    }
}
