using GrowlyticsSdk.Diagnostics;
using GrowlyticsSdk.Storage;

namespace GrowlyticsSdk.Delivery;

/// <summary>
/// The storage folder as a message source: stored records become messages (read back from their description, so either
/// protocol can send them) and are settled in the store in any order. Records the store drops to keep its bounds while
/// they are on their way are settled here once, as dropped, and never also counted delivered.
/// </summary>
internal sealed class DiskSource : IMessageSource
{
    private readonly DurableQueue _store;
    private readonly DeliveryCounters _counters;
    private Settler? _settler;
    private long _droppedWhileSending;

    public DiskSource(DurableQueue store, DeliveryCounters counters)
    {
        _store = store;
        _counters = counters;
        store.OutstandingDropped = OnOutstandingDropped;
    }

    /// <summary>
    /// Gets the calls of the stored messages not yet settled, and of those whose record was dropped while they are in a
    /// request (counted in calls too: the store no longer does).
    /// </summary>
    public long Pending => _store.Pending + Interlocked.Read(ref _droppedWhileSending);

    /// <summary>Gives the source the settler that counts what the store drops while it is being sent.</summary>
    public void Use(Settler settler) => _settler = settler;

    public int Read(List<Envelope> into, int maxCount)
    {
        var read = 0;
        foreach (var record in _store.Read(maxCount))
        {
            if (StoredMessages.TryRead(record.Payload, record.AcceptedMs) is not { } message)
            {
                // Intact on disk but not a message this version can send: dropped by the calls the store counted for it.
                _store.Settle(record);
                _counters.AddDropped(DropReason.Corrupted, record.Calls);
                _counters.AddCorrupt(1);
                continue;
            }

            var envelope = new Envelope(message, this, record, 0);
            record.Tag = envelope;
            into.Add(envelope);
            read++;
        }

        return read;
    }

    public void Settled(Envelope envelope)
    {
        if (envelope.WasDroppedWhileSending)
        {
            Interlocked.Add(ref _droppedWhileSending, -envelope.Message.Calls);
        }

        _store.Settle((StoredRecord)envelope.Handle!);
    }

    private void OnOutstandingDropped(List<StoredRecord> records, DropReason reason)
    {
        foreach (var record in records)
        {
            if (record.Tag is not Envelope envelope)
            {
                continue;
            }

            // Counted as pending before its state changes, so it is never missing from the figures.
            var calls = envelope.Message.Calls;
            Interlocked.Add(ref _droppedWhileSending, calls);
            if (envelope.DropUnlessSending(reason, out var waits))
            {
                Interlocked.Add(ref _droppedWhileSending, -calls);
                _settler?.CountDropped(envelope, reason);
            }
            else if (!waits)
            {
                // Settled already (delivered or dropped by its reader): nothing waits.
                Interlocked.Add(ref _droppedWhileSending, -calls);
            }
        }
    }
}
