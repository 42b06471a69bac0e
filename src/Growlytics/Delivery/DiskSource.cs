using GrowlyticsSdk.Diagnostics;
using GrowlyticsSdk.Storage;

namespace GrowlyticsSdk.Delivery;

/// <summary>
/// The storage folder as a message source: stored records become messages (read back from their description, so either
/// protocol can send them) and are settled in the store in any order. Records the store drops to keep its bounds while
/// they are on their way are settled here once, as dropped, and never also counted delivered; they are reported in the
/// store's drop line (event 4007) as they are counted.
/// </summary>
internal sealed class DiskSource : IMessageSource
{
    private readonly DurableQueue _store;
    private readonly DeliveryCounters _counters;
    private Settler? _settler;
    private long _droppedWhileSending;

    // The ids and attribute names read last (see StoredMessages.TryRead): kept by this client only, gone with it.
    private readonly string?[] _recentStrings = new string?[StoredMessages.RecentSlots];

    // The calls of records being settled in the store now: counted delivered or dropped already, while the store's lock
    // may be held by its writer (a slow disk can hold it for long).
    private long _settling;

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

    public long Settling => Interlocked.Read(ref _settling);

    /// <summary>
    /// Gets the calls in <see cref="Pending"/> whose records a limit dropped from the folder while they were being read or
    /// sent: counted when their request settles, and not in the folder for the next start meanwhile.
    /// </summary>
    public long DroppedFromFolder => Math.Max(Pending - _store.InFolder, 0);

    /// <summary>Gets the stored records not read yet: each becomes one envelope, read before anything in memory.</summary>
    public long FlushCount => _store.Unread;

    public bool WaitsForOldest => _store.ReadWindowFull;

    /// <summary>Gives the source the settler that counts what the store drops while it is being sent.</summary>
    public void Use(Settler settler) => _settler = settler;

    public int Read(List<Envelope> into, int maxCount) => Read(into, maxCount, null, out _, out _);

    /// <summary>
    /// As <see cref="Read(List{Envelope}, int)"/>, up to the first record at or after the position <paramref name="before"/>
    /// tells under the store's lock (see <see cref="DurableQueue.Read(int, Action?, Func{StoredPosition}?, out StoredPosition)"/>).
    /// <paramref name="passedOver"/> tells that records were read and none could be sent (damaged, or dropped on the way):
    /// the folder may still hold unread ones before <paramref name="readTo"/>.
    /// </summary>
    public int Read(List<Envelope> into, int maxCount, Func<StoredPosition>? before, out StoredPosition readTo, out bool passedOver)
    {
        var read = 0;
        var dropped = default(StorageDrops);
        BeforeStoreRead?.Invoke();
        var records = _store.Read(maxCount, Taking, before, out readTo);
        AfterStoreRead?.Invoke(records.Count);
        foreach (var record in records)
        {
            if (StoredMessages.TryRead(record.Payload, record.AcceptedMs, _recentStrings) is not { } message)
            {
                if (!record.TryAttach(this))
                {
                    CountDroppedBeforeAttach(record, null, ref dropped);
                    continue;
                }

                // Intact on disk but not a message this version can send: dropped by the calls the store counted for it.
                _store.Settle(record);
                _counters.AddDroppedInBulk(DropReason.Corrupted, record.Calls);
                _counters.AddCorrupt(1);
                continue;
            }

            var envelope = new Envelope(message, this, record, 0);
            if (!record.TryAttach(envelope))
            {
                CountDroppedBeforeAttach(record, envelope, ref dropped);
                continue;
            }

            into.Add(envelope);
            read++;
        }

        _store.ReportDropped(dropped);
        passedOver = read == 0 && records.Count > 0;
        return read;
    }

    /// <summary>
    /// Gets or sets what runs on the reader's thread under the store's lock, once records are read and before the store
    /// publishes that they are no longer unread (see <see cref="DurableQueue.Read(int, Action?)"/>).
    /// </summary>
    public Action? Taking { get; set; }

    /// <summary>Test seam: runs before the store is read (its lock taken).</summary>
    public Action? BeforeStoreRead { get; init; }

    /// <summary>Test seam: runs between reading records from the store and attaching their messages to them.</summary>
    public Action<int>? AfterStoreRead { get; init; }

    /// <summary>
    /// A limit dropped the record after the store handed it out and before its message was attached: the store no longer
    /// counts it and it was left to this reader, which counts it dropped now (it was counted pending meanwhile) and adds
    /// it to <paramref name="dropped"/>, reported once for the whole read.
    /// </summary>
    private void CountDroppedBeforeAttach(StoredRecord record, Envelope? envelope, ref StorageDrops dropped)
    {
        var reason = record.DroppedBeforeAttachReason ?? DropReason.StorageFull;
        dropped.Add(reason, record.Calls);
        if (envelope is not null && _settler is { } settler && envelope.DropUnlessSending(reason, out _))
        {
            // Counted and reported like any message a limit drops.
            settler.CountDropped(envelope, reason);
        }
        else
        {
            _counters.AddDroppedInBulk(reason, record.Calls);
        }

        Interlocked.Add(ref _droppedWhileSending, -record.Calls);
    }

    public void Dropped(Envelope envelope, DropReason reason)
    {
        var calls = envelope.Message.Calls;
        Settled(envelope);
        if (envelope.WasDroppedWhileSending)
        {
            // The store dropped its record while it was in a request, which then did not deliver it: counted now. (Those
            // dropped while idle or before their message was attached are reported where the drop is counted.)
            var dropped = default(StorageDrops);
            dropped.Add(reason, calls);
            _store.ReportDropped(dropped);
        }
    }

    public void Settled(Envelope envelope)
    {
        var record = (StoredRecord)envelope.Handle!;
        if (envelope.WasDroppedWhileSending)
        {
            // The store no longer counts the record.
            Interlocked.Add(ref _droppedWhileSending, -envelope.Message.Calls);
            _store.Settle(record);
            return;
        }

        // Its settler counted the message a moment ago: it leaves the application's figures now, not when the store's lock
        // is free.
        var calls = envelope.Message.Calls;
        Interlocked.Add(ref _settling, calls);
        try
        {
            _store.Settle(record);
        }
        finally
        {
            Interlocked.Add(ref _settling, -calls);
        }
    }

    /// <summary>
    /// Gets or sets what is called when records the storage bound dropped had their messages staged (settled now, though
    /// still in their partitions): the dispatcher removes them. Paused or retrying partitions would otherwise keep them,
    /// while the read window they freed let delivery read more, so an outage grew memory with everything dropped.
    /// </summary>
    public Action? DroppedWhileStaged { get; set; }

    private void OnOutstandingDropped(List<StoredRecord> records, DropReason reason)
    {
        var dropped = default(StorageDrops);
        var staged = false;
        foreach (var record in records)
        {
            // Counted as pending before its state changes, so it is never missing from the figures: here first, then the
            // store, which kept counting it since the drop, lets go of it.
            var calls = record.Calls;
            Interlocked.Add(ref _droppedWhileSending, calls);
            _store.TakeOver(calls);
            if (record.TryMarkDroppedBeforeAttach(reason))
            {
                // Read but its message not attached yet: the reader counts the drop when it tries to attach.
                continue;
            }

            if (record.Tag is not Envelope envelope)
            {
                // A record the reader found unreadable: it counted it already.
                Interlocked.Add(ref _droppedWhileSending, -calls);
                continue;
            }

            if (envelope.DropUnlessSending(reason, out var waits))
            {
                Interlocked.Add(ref _droppedWhileSending, -calls);
                _settler?.CountDropped(envelope, reason);
                dropped.Add(reason, calls);
                staged = true;
            }
            else if (!waits)
            {
                // Settled already (delivered or dropped by its reader): nothing waits.
                Interlocked.Add(ref _droppedWhileSending, -calls);
            }
        }

        _store.ReportDropped(dropped);
        if (staged)
        {
            DroppedWhileStaged?.Invoke();
        }
    }
}
