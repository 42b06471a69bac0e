using GrowlyticsSdk.Diagnostics;
using GrowlyticsSdk.Polyfills;
using GrowlyticsSdk.Serialization;

namespace GrowlyticsSdk.Delivery;

/// <summary>The dispatcher's side of finished requests: settling, unblocking partitions, pauses and flushes.</summary>
internal sealed partial class Dispatcher
{
    private void ProcessCompletions()
    {
        while (_completions.TryDequeue(out var completion))
        {
            _inFlight--;
            var batch = completion.Batch;
            var results = completion.Results;
            if (results is null && !_stopSending.IsCancellationRequested)
            {
                // Cancelled at a privacy request (opt-out, deletion), not by shutdown: dropped below.
                results = [new SendResult(0, batch.Envelopes.Count, SendOutcome.Abandoned, DropReason.OptedOut, 0, "canceled")];
            }

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

            List<Envelope>? kept = null;
            var keyRefusedStatus = 0;
            foreach (var result in results)
            {
                for (var i = result.Start; i < result.Start + result.Count; i++)
                {
                    var envelope = batch.Envelopes[i];
                    switch (result.Outcome)
                    {
                        case SendOutcome.Delivered:
                            _settler.Delivered(envelope);
                            break;
                        case SendOutcome.Kept when _keyRetryAt != long.MinValue:
                            // Out of retries after the service refused the key: dropped like everything held then.
                            _settler.Dropped(envelope, DropReason.Unauthorized);
                            break;
                        case SendOutcome.Kept:
                            if (EndSending(envelope, kept ??= []))
                            {
                                continue;
                            }

                            break;
                        case SendOutcome.Abandoned when !_stopSending.IsCancellationRequested:
                            // Cancelled at a privacy request: never sent again.
                            _settler.Dropped(envelope, DropReason.OptedOut);
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

            ReleasePartitions(batch, kept);
            if (keyRefusedStatus != 0)
            {
                OnKeyRefused(keyRefusedStatus);
            }

            Recycle(batch);
        }

        Interlocked.Exchange(ref _issued, _tickets.Next);
    }

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

    private void ReleasePartitions(Batch batch, List<Envelope>? kept)
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
        var until = _time.GetTimestamp() + (long)(_pauseAfterKept.TotalSeconds * _time.TimestampFrequency);
        foreach (var partition in batch.Partitions)
        {
            var mine = kept.FindAll(envelope => envelope.Partition == partition);
            if (mine.Count == 0)
            {
                _partitions.Unblock(partition);
                continue;
            }

            _partitions.ReturnToFront(partition, mine);
            _paused.Add((partition, until));
        }

        _pauseTimer ??= TaskCompat.Delay(_time, _pauseAfterKept);
    }

    private void ResumePaused(long now)
    {
        if (_pauseTimer is { IsCompleted: true })
        {
            _pauseTimer = null;
        }

        var earliest = long.MaxValue;
        for (var i = _paused.Count - 1; i >= 0; i--)
        {
            var (partition, until) = _paused[i];
            if (now >= until || _stopping)
            {
                _paused.RemoveAt(i);
                if (!_stopping)
                {
                    _partitions.Unblock(partition);
                }
            }
            else
            {
                earliest = Math.Min(earliest, until);
            }
        }

        if (earliest != long.MaxValue && _pauseTimer is null)
        {
            _pauseTimer = TaskCompat.Delay(_time, _time.GetElapsedTime(now, earliest));
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
        _queue.Refuse(DropReason.Unauthorized);
        DropEverything(DropReason.Unauthorized, status);
        _pauseTimer = TaskCompat.Delay(_time, KeyRetryInterval);
    }

    private void ResumeAfterKeyRefusal(long now)
    {
        if (_keyRetryAt != long.MinValue && now >= _keyRetryAt)
        {
            _keyRetryAt = long.MinValue;
            _queue.Accept(DropReason.Unauthorized);
        }
    }

    private bool HasFlushRequests()
    {
        lock (_flushes)
        {
            return _flushes.Count > 0;
        }
    }

    private void CompleteFlushes(bool everything)
    {
        var floor = _tickets.Floor;
        lock (_flushes)
        {
            for (var i = _flushes.Count - 1; i >= 0; i--)
            {
                if (everything || floor >= _flushes[i].Target)
                {
                    _flushes[i].Completion.TrySetResult(true);
                    _flushes.RemoveAt(i);
                }
            }
        }
    }

    /// <summary>
    /// A request has ended and its batch is settled or back in its partitions: a message that outlives it takes a copy of
    /// its bytes, and the buffer is kept for another request.
    /// </summary>
    private void Recycle(Batch batch)
    {
        foreach (var envelope in batch.Envelopes)
        {
            envelope.Payload = envelope.IsSettled ? default : envelope.Payload.ToArray();
        }

        if (batch.ReleaseBuffer() is { } buffer)
        {
            ReturnBuffer(buffer);
        }
    }

    private void ReturnBuffer(ByteBufferWriter buffer)
    {
        if (buffer.Capacity <= MaxKeptBatchBufferBytes && _spareBuffers.Count < MaxSpareBatchBuffers)
        {
            buffer.Clear();
            _spareBuffers.Push(buffer);
        }
    }

    /// <summary>The messages of one request, their bytes (one buffer, a view per message) and the partitions it blocks.</summary>
    private sealed class Batch
    {
        private ByteBufferWriter? _buffer;

        public Batch(int capacity, ByteBufferWriter buffer)
        {
            Envelopes = new List<Envelope>(Math.Min(capacity, 128));
            Lengths = new List<int>(Math.Min(capacity, 128));
            Views = new List<ReadOnlyMemory<byte>>(Math.Min(capacity, 128));
            _buffer = buffer;
        }

        public List<Envelope> Envelopes { get; }

        /// <summary>Gets each message's length, in the order of <see cref="Envelopes"/> (written back to back).</summary>
        public List<int> Lengths { get; }

        /// <summary>Gets each message's bytes: views valid until the batch is recycled.</summary>
        public List<ReadOnlyMemory<byte>> Views { get; }

        public List<int> Partitions { get; } = [];

        /// <summary>
        /// Takes the views of the messages once the buffer is written (it no longer grows). A request much smaller than
        /// its buffer (a REST upsert, what a flush sends last) takes an exact copy instead and returns the buffer, to be
        /// reused at once: a request that waits out a backoff holds only its own bytes.
        /// </summary>
        public ByteBufferWriter? Seal()
        {
            var buffer = _buffer!;
            ReadOnlyMemory<byte> bytes;
            ByteBufferWriter? released = null;
            if (buffer.WrittenCount * 4L < buffer.Capacity)
            {
                bytes = buffer.WrittenSpan.ToArray();
                released = buffer;
                _buffer = null;
            }
            else
            {
                bytes = buffer.Slice(0, buffer.WrittenCount);
            }

            var start = 0;
            for (var i = 0; i < Envelopes.Count; i++)
            {
                var view = bytes.Slice(start, Lengths[i]);
                Views.Add(view);
                Envelopes[i].Payload = view;
                start += Lengths[i];
            }

            return released;
        }

        /// <summary>Hands the buffer back once nothing reads the views any more, if the batch still has it.</summary>
        public ByteBufferWriter? ReleaseBuffer()
        {
            var buffer = _buffer;
            _buffer = null;
            return buffer;
        }
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
