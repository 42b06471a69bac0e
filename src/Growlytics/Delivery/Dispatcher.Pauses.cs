using GrowlyticsSdk.Diagnostics;
using GrowlyticsSdk.Polyfills;

namespace GrowlyticsSdk.Delivery;

/// <summary>
/// The dispatcher's pauses: a request's partitions released, or paused after messages kept on disk (out of retries) until
/// they may try again; and sending paused after the service refused the key, until the key is tried again.
/// </summary>
internal sealed partial class Dispatcher
{
    // Wakes the loop when the earliest pause after kept messages ends (its own timer: a shorter pause may come after a
    // longer one, and the other pauses' timer must not be replaced).
    private Task? _keptTimer;
    private long _keptTimerEnds;

    /// <summary>
    /// Releases a settled request's partitions. Those holding messages <paramref name="kept"/> (stored, out of retries)
    /// pause before trying again: for <see cref="GrowlyticsOptions.RetryBaseDelay"/> when <paramref name="isolated"/> (kept
    /// for the first time, on a failure of the request's own: see <see cref="SendResult.Isolated"/>; in memory it would
    /// have been dropped, and a longer pause would hold its users back, and every user once the stored queue waits for
    /// it), otherwise (an outage, a request to slow down, or kept before) for <see cref="GrowlyticsOptions.MaxRetryDelay"/>.
    /// <paramref name="unansweredAt"/> is <see cref="SendResult.UnansweredAt"/> of the kept messages' request.
    /// </summary>
    private void ReleasePartitions(Batch batch, List<Envelope>? kept, bool isolated, long unansweredAt)
    {
        if (kept is not { Count: > 0 })
        {
            foreach (var partition in batch.Partitions)
            {
                _partitions.Unblock(partition);
            }

            return;
        }

        // Kept (stored, out of retries): back at the head of their partitions, which wait before trying again.
        var pause = isolated ? _pauseAfterIsolatedKept : _pauseAfterKept;
        var now = _time.GetTimestamp();
        var until = now + (long)(pause.TotalSeconds * _time.TimestampFrequency);
        var byPartition = ByPartition(kept);
        foreach (var partition in batch.Partitions)
        {
            if (!byPartition.TryGetValue(partition, out var mine))
            {
                _partitions.Unblock(partition);
                continue;
            }

            _partitions.ReturnToFront(partition, mine);
            _paused.Add((partition, until, unansweredAt));
            _pausedNow[partition] = true;
            if (_partitions.Messages(partition) is { } waiting)
            {
                for (var i = 0; i < waiting.Count; i++)
                {
                    SettleForFlushesIfStored(waiting[i]);
                }
            }
        }

        ArmKeptTimer(now, until);
    }

    private void ArmKeptTimer(long now, long until)
    {
        if (_keptTimer is null || until < _keptTimerEnds)
        {
            _keptTimer = LoopTimer(_time.GetElapsedTime(now, until));
            _keptTimerEnds = until;
        }
    }

    /// <summary>
    /// A stored message in a partition paused after messages kept on disk (out of retries) waits on disk for a later try:
    /// flushes no longer wait for it. One from memory keeps them waiting (it is on no disk). Its ticket is settled again
    /// when it is delivered or dropped, which changes nothing.
    /// </summary>
    private void SettleForFlushesIfStored(Envelope envelope)
    {
        if (envelope.Source != _memory)
        {
            _tickets.Settle(envelope.Ticket);
        }
    }

    private void ResumePaused(long now)
    {
        if (_pauseTimer is { IsCompleted: true })
        {
            _pauseTimer = null;
        }

        if (_keptTimer is { IsCompleted: true })
        {
            _keptTimer = null;
        }

        // At shutdown, a pause that ends by the deadline after an answer of the service is waited for: the kept messages may
        // go in the time left. One that ends past the deadline, or follows attempts the service did not answer with no
        // answer since (it can only find the service unreachable), is let go, its partition left blocked: its messages
        // stay stored for the next start, or are counted if only memory held them.
        var stopping = _stopping;
        var deadline = stopping ? Interlocked.Read(ref _stopDeadline) : long.MaxValue;
        var answers = stopping ? _sender.Answers : 0;
        var earliest = long.MaxValue;
        for (var i = _paused.Count - 1; i >= 0; i--)
        {
            var (partition, until, unansweredAt) = _paused[i];
            if (now >= until)
            {
                _paused.RemoveAt(i);
                _pausedNow[partition] = false;

                // Its messages were due when they were kept: they go now, in a partly filled request if need be, not after
                // another flush interval.
                _partitions.Unblock(partition);
                _drainUntilIdle = true;
            }
            else if (stopping && (until > deadline || unansweredAt == answers))
            {
                _paused.RemoveAt(i);
                _pausedNow[partition] = false;
            }
            else
            {
                earliest = Math.Min(earliest, until);
            }
        }

        if (earliest != long.MaxValue)
        {
            ArmKeptTimer(now, earliest);
        }
    }

    /// <summary>
    /// At shutdown, tells the sender whether a pause is still waited for (see <see cref="ResumePaused"/>). Called once the
    /// turn has dispatched: a pause that just ended has its messages on their way then (counted by the sender), so the
    /// client is not taken for quiet in between, which would cancel them as they go.
    /// </summary>
    private void NoteWaitsForPause()
    {
        if (_stopping && _waitsForPause != _paused.Count > 0)
        {
            _waitsForPause = _paused.Count > 0;
            _sender.CheckQuietAgain();
        }
    }

    /// <summary>
    /// The service refused the key: every message held now is dropped as <see cref="DropReason.Unauthorized"/> and new
    /// calls are counted so at once, until <see cref="KeyRetryInterval"/> has passed and the next request tries again.
    /// </summary>
    private void OnKeyRefused(int status)
    {
        if (_keyRetryAt == long.MinValue)
        {
            Log.Unauthorized(_logger, status, KeyRetryInterval);
        }

        _keyRetryAt = _time.GetTimestamp() + (long)(KeyRetryInterval.TotalSeconds * _time.TimestampFrequency);
        _keyRefusedStatus = status;
        _sender.KeyRefused(status);
        _queue.Refuse(DropReason.Unauthorized);
        DropEverything(DropReason.Unauthorized, status);
        _pauseTimer = LoopTimer(KeyRetryInterval);
    }

    private void ResumeAfterKeyRefusal(long now)
    {
        if (_keyRetryAt != long.MinValue && now >= _keyRetryAt)
        {
            _keyRetryAt = long.MinValue;
            _sender.KeyAccepted();
            _queue.Accept(DropReason.Unauthorized);
        }
    }
}
