using GrowlyticsSdk.Diagnostics;
using GrowlyticsSdk.Polyfills;

namespace GrowlyticsSdk.Delivery;

/// <summary>The dispatcher's side of finished requests: settling what each reports (their partitions and pauses: see Dispatcher.Pauses.cs).</summary>
internal sealed partial class Dispatcher
{
    // Envelopes of memory messages just delivered, handed back to the memory source once their batch is recycled.
    private readonly List<Envelope> _reusable = [];

    /// <summary>How many requests the service must accept after a message was first kept before it counts as refused for good.</summary>
    private const int AcceptedSinceKeptToDrop = 32;

    // Reports of kept messages dropped because the stored queue waited for them (set in the constructor).
    private readonly LogRateLimiter _blockingDrops;

    /// <summary>
    /// Logs the kept messages dropped since the last line of their minute (event 2014). Called once, at shutdown, with the
    /// sender's (see <see cref="RequestSender.ReportUnreportedRefusals"/>): they would be in no line otherwise.
    /// </summary>
    public void ReportUnreportedBlockingDrops()
    {
        if (_blockingDrops.TakeUnreported() is var blocking and > 0)
        {
            Log.StoredRefusalDropped(_logger, blocking);
        }
    }

    private void ProcessCompletions()
    {
        while (_completions.TryDequeue(out var completion))
        {
            _inFlight--;
            var batch = completion.Batch;
            _sending.Remove(batch);
            _queue.AddRequestBytes(-batch.CountedBytes);
            var results = completion.Results;
            if (results is null && !_stopSending.IsCancellationRequested && !_returningToStorage)
            {
                // Cancelled at a privacy request (opt-out, deletion), not by shutdown: dropped below.
                results = [new SendResult(0, batch.Envelopes.Count, SendOutcome.Abandoned, DropReason.OptedOut, 0, "canceled")];
            }

            // Its partition's next batch goes out first if every message was delivered; otherwise it goes back to the
            // head of its partition now, so what this batch keeps goes back in front of it below.
            var handedOn = TryHandOn(batch, results);
            if (results is null)
            {
                // Abandoned at shutdown: counted (memory) or left stored (disk) by StopAsync.
                foreach (var envelope in batch.Envelopes)
                {
                    EndSending(envelope, _abandoned);
                }

                Recycle(batch);
                continue;
            }

            Prefetch(batch.Envelopes, batch.Envelopes.Count);
            List<Envelope>? kept = null;
            List<Envelope>? abandonedStored = null;
            var keptIsolated = true;
            var keptUnansweredAt = long.MinValue;
            var keyRefusedStatus = 0;
            long droppedBlocking = 0;

            // Memory messages delivered, counted together once the request is settled (see Settler.DeliveredLater).
            var delivered = default(DeliveredTally);
            try
            {
                foreach (var result in results)
                {
                    for (var i = result.Start; i < result.Start + result.Count; i++)
                    {
                        var envelope = batch.Envelopes[i];
                        switch (result.Outcome)
                        {
                            case SendOutcome.Delivered when envelope.Source == _memory:
                                if (Settler.DeliveredLater(envelope, ref delivered))
                                {
                                    _reusable.Add(envelope);
                                }

                                break;
                            case SendOutcome.Delivered:
                                _settler.Delivered(envelope);
                                break;
                            case SendOutcome.Kept when _keyRetryAt != long.MinValue:
                                // Out of retries after the service refused the key: dropped like everything held then.
                                _settler.Dropped(envelope, DropReason.Unauthorized);
                                break;
                            case SendOutcome.Kept when IsRefusedForGood(envelope, result):
                                if (envelope.EndSending() is { } storageReason)
                                {
                                    // Storage dropped its record meanwhile: counted with that reason, as when it stays kept.
                                    _settler.Dropped(envelope, storageReason);
                                }
                                else
                                {
                                    _settler.Dropped(envelope, result.Reason, result.Status);
                                    droppedBlocking += envelope.Message.Calls;
                                }

                                break;
                            case SendOutcome.Kept:
                                if (envelope.KeptAtSuccesses < 0)
                                {
                                    envelope.KeptAtSuccesses = result.SuccessesAtRefusal;
                                }
                                else
                                {
                                    keptIsolated = false;
                                }

                                keptIsolated &= result.Isolated;

                                // One answered kept result makes the batch's pause one after an answer.
                                keptUnansweredAt = result.UnansweredAt < 0 || keptUnansweredAt == -1 ? -1 : result.UnansweredAt;

                                if (EndSending(envelope, kept ??= []))
                                {
                                    continue;
                                }

                                break;
                            case SendOutcome.Abandoned when !_stopSending.IsCancellationRequested && !_returningToStorage:
                                // Cancelled at a privacy request: never sent again.
                                _settler.Dropped(envelope, DropReason.OptedOut);
                                break;
                            case SendOutcome.Abandoned when envelope.Source != _memory:
                                // Stays stored: back at the head of its partition, so when sending resumes (memory's messages
                                // handed to storage at shutdown) it goes before its user's later messages, never after them.
                                if (EndSending(envelope, abandonedStored ??= []))
                                {
                                    continue;
                                }

                                break;
                            case SendOutcome.Abandoned:
                                if (EndSending(envelope, _abandoned))
                                {
                                    continue;
                                }

                                break;
                            default:
                                _settler.Dropped(envelope, result.Reason, result.Status, result.Rejection);
                                break;
                        }

                        _tickets.Settle(envelope.Ticket);
                    }

                    if (result.Reason == DropReason.Unauthorized && result.Outcome == SendOutcome.Dropped)
                    {
                        keyRefusedStatus = result.Status;
                    }
                }
            }
            finally
            {
                _settler.Delivered(_memory, delivered);
            }

            if (!handedOn)
            {
                ReturnAbandonedStored(batch, abandonedStored);
                ReleasePartitions(batch, kept, keptIsolated, keptUnansweredAt);
            }

            if (droppedBlocking > 0 && _blockingDrops.TryReport(droppedBlocking, out var blocking))
            {
                Log.StoredRefusalDropped(_logger, blocking);
            }

            if (keyRefusedStatus != 0)
            {
                OnKeyRefused(keyRefusedStatus);
            }

            Recycle(batch);
            if (_reusable.Count > 0)
            {
                // Settled, their request recycled: nothing refers to these envelopes any more.
                _memory.Reuse(_reusable);
                _reusable.Clear();
            }
        }

        Interlocked.Exchange(ref _issued, _tickets.Next);
    }

    /// <summary>
    /// Puts the stored messages of an abandoned request back at the head of their partitions (ahead of the request written
    /// behind it, already put back), before the partitions are released: the records stay on disk, and a partition must not
    /// send its later messages while an earlier one waits there (a shutdown resumes sending once memory's messages are
    /// handed to storage).
    /// </summary>
    private void ReturnAbandonedStored(Batch batch, List<Envelope>? abandoned)
    {
        if (abandoned is not { Count: > 0 })
        {
            return;
        }

        var byPartition = ByPartition(abandoned);
        foreach (var partition in batch.Partitions)
        {
            if (byPartition.TryGetValue(partition, out var mine))
            {
                _partitions.ReturnToFront(partition, mine);
            }
        }
    }

    /// <summary>
    /// Groups <paramref name="envelopes"/> by partition in one pass, each group in their order: a request can take messages
    /// from thousands of partitions (with a large <see cref="GrowlyticsOptions.MaxBatchSize"/>), and a search of the whole
    /// list for each of them took tens of milliseconds of the loop.
    /// </summary>
    private static Dictionary<int, List<Envelope>> ByPartition(List<Envelope> envelopes)
    {
        var groups = new Dictionary<int, List<Envelope>>();
        foreach (var envelope in envelopes)
        {
            if (!groups.TryGetValue(envelope.Partition, out var group))
            {
                group = [];
                groups.Add(envelope.Partition, group);
            }

            group.Add(envelope);
        }

        return groups;
    }

    /// <summary>
    /// Gets a value indicating whether a message out of retries is dropped rather than kept again: it was kept before, the
    /// service had accepted at least <see cref="AcceptedSinceKeptToDrop"/> other requests between then and this refusal
    /// (<see cref="SendResult.SuccessesAtRefusal"/>: a message it cannot take, not an outage: probes that get through during one
    /// are far fewer; requests accepted after the refusal, before the loop heard it, as when the service comes back, do
    /// not count), the service itself refused it (the open circuit, which refuses an attempt before it goes on the wire
    /// when most requests fail, says nothing about the message: an outage that begins after others were accepted), and
    /// keeping it would hold others back: a
    /// stored one only while the stored queue waits for it (its read window is full, so every user waits); one in memory
    /// (the disk failed, or the folder is another client's) always, as it would keep its partition, and flushes, waiting
    /// for ever.
    /// </summary>
    private bool IsRefusedForGood(Envelope envelope, SendResult result) =>
        envelope.KeptAtSuccesses >= 0
        && !result.RefusedByCircuit
        && result.SuccessesAtRefusal - envelope.KeptAtSuccesses >= AcceptedSinceKeptToDrop
        && (envelope.Source == _memory || envelope.Source.WaitsForOldest);

    /// <summary>
    /// A request ended without settling <paramref name="envelope"/>: it goes to <paramref name="unsettled"/> (returns
    /// <see langword="true"/>), unless storage dropped it meanwhile, in which case it is counted dropped now.
    /// </summary>
    private bool EndSending(Envelope envelope, List<Envelope> unsettled)
    {
        if (envelope.EndSending() is { } reason)
        {
            _settler.Dropped(envelope, reason);
        }
        else if (!envelope.IsSettled)
        {
            unsettled.Add(envelope);
            return true;
        }

        _tickets.Settle(envelope.Ticket);
        return false;
    }

    private sealed class Completion
    {
        public Completion(Batch batch, List<SendResult>? results)
        {
            Batch = batch;
            Results = results;
        }

        public Batch Batch { get; }

        /// <summary>Gets what became of the batch's parts, or <see langword="null"/> when shutdown abandoned it.</summary>
        public List<SendResult>? Results { get; }
    }
}
