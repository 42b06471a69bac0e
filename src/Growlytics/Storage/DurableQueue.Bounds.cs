using GrowlyticsSdk.Diagnostics;

namespace GrowlyticsSdk.Storage;

// The stored queue's bounds and acknowledgement: MaxStorageBytes and the retention kept, settled records handed over, the
// acknowledged position saved.
internal sealed partial class DurableQueue
{
    /// <summary>Drops the oldest stored messages while the folder would exceed its bytes with <paramref name="incoming"/> more, or they are too old.</summary>
    private void Enforce(long incoming)
    {
        var settled = new List<StoredRecord>();
        var drops = default(StorageDrops);
        var reason = DropReason.StorageFull;
        lock (_gate)
        {
            try
            {
                if (_log is not null)
                {
                    reason = _limits.Enforce(_log, incoming, settled, out drops);
                }
            }
            finally
            {
                HandOverLocked(settled);

                // Counted as the figures without them are published (what was dropped before a fault too): a snapshot never
                // sees them both dropped and pending while the next segment file is deleted or the logger writes the drop's
                // line (below, outside the lock).
                _limits.Count(drops);
                AfterChange();
            }
        }

        _limits.Report(drops);
        if (settled.Count > 0)
        {
            OutstandingDropped?.Invoke(settled, reason);
        }
    }

    /// <summary>
    /// Drops the oldest stored messages once they are older than <see cref="GrowlyticsOptions.MaxStorageAge"/>, also when
    /// nothing is written: the bounds are otherwise enforced before each write, so in an outage without new calls the
    /// messages delivery had read (staged, or in requests waiting out their retries) were sent however old once the service
    /// came back. Those are counted by their readers, as for the size bound.
    /// </summary>
    private void ExpireIfDue()
    {
        bool due;
        lock (_gate)
        {
            due = _log?.Oldest is { Pending: > 0 } oldest && oldest.ExpiryMs < _limits.ExpiredBeforeMs();
        }

        if (due)
        {
            Enforce(0);
        }
    }

    /// <summary>
    /// Under the lock, before <see cref="AfterChange"/> publishes figures without them: keeps counting the records being
    /// read that a limit dropped until their reader, told after the lock is released, takes them over (<see cref="TakeOver"/>).
    /// </summary>
    private void HandOverLocked(List<StoredRecord> settled)
    {
        if (settled.Count > 0 && OutstandingDropped is not null)
        {
            Interlocked.Add(ref _handedOver, settled.Sum(r => (long)r.Calls));
        }
    }

    /// <summary>Publishes the log's figures for lock-free readers.</summary>
    private void AfterChange()
    {
        var log = _log!;
        if (log.LateDamage > 0)
        {
            // Dropped counts calls; the corrupt figure counts damaged records.
            _counters.AddDroppedInBulk(DropReason.Corrupted, log.LateDamageCalls);
            _counters.AddCorrupt(log.LateDamage);
            Interlocked.Add(ref _damageToLog, log.LateDamage);
            log.LateDamage = 0;
            log.LateDamageCalls = 0;
        }

        Interlocked.Exchange(ref _storedPending, log.PendingCalls);
        Interlocked.Exchange(ref _storedUnread, log.Unread);
        _windowFull = log.Outstanding >= ReadWindow;
    }

    // Called under the lock, once per writer turn (each commit interval, or when a flush or memory filling up wakes the
    // writer) rather than per settled batch.
    private void TrySaveAck()
    {
        if (_folder is { IsReplaced: true })
        {
            // Not this client's folder now (see HoldsFolder): its position is not written into another's.
            return;
        }

        try
        {
            _log?.SaveAck();
            _ackSaveFailed = false;
        }
#pragma warning disable CA1031 // Whatever failed, the writer goes on (and stops when asked); Close must not throw into the app.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            // Saved with a later commit; until then a restart may send some settled messages again. Writes are not
            // affected (the disk may be fine): reported on its own.
            _ackSaveFailed = true;
            if (_ackFailures.TryReport(out var count))
            {
                Log.StorageAckFailed(_logger, StorageFiles.Describe(ex), count);
                LogIfUnforeseen(ex);
            }
        }
    }
}
