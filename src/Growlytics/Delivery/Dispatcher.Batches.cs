using GrowlyticsSdk.Diagnostics;
using GrowlyticsSdk.Serialization;
using GrowlyticsSdk.Storage;

namespace GrowlyticsSdk.Delivery;

/// <summary>The dispatcher's side of new requests: staging messages, building each request from ready partitions, sending.</summary>
internal sealed partial class Dispatcher
{
    /// <summary>Moves messages from the sources into their partitions, up to the stage limit of messages ready to send.</summary>
    private void Fill()
    {
        // Odd while messages are read and not yet published in _issued (see FlushAsync).
        BeginTaking();
        try
        {
            TicketDroppedUnread();
            FillStage();
        }
        finally
        {
            EndTaking();
        }
    }

    /// <summary>
    /// Loop only: makes <see cref="_fillVersion"/> odd (if it is not) before messages are taken from a source, so a flush
    /// taking its target meanwhile waits for their tickets (see FlushAsync). The stored queue calls it under its lock, once
    /// it has read its records and before it publishes that they are no longer unread.
    /// </summary>
    private void BeginTaking()
    {
        if ((_fillVersion & 1) == 0)
        {
            Interlocked.Increment(ref _fillVersion);
        }
    }

    /// <summary>
    /// Loop only: publishes the tickets of what was taken and makes <see cref="_fillVersion"/> even again (if it is odd).
    /// Called before the stored queue is read: its lock may be held by the storage writer through a slow disk write, and a
    /// flush (on the app's thread) spun for as long as the loop waited for it with the version odd.
    /// </summary>
    private void EndTaking()
    {
        if ((_fillVersion & 1) != 0)
        {
            Interlocked.Exchange(ref _issued, _tickets.Next);
            Interlocked.Increment(ref _fillVersion);
        }
    }

    /// <summary>Gets a value indicating whether more messages may be staged (see the stage limits in the constructor).</summary>
    private bool CanStage => _partitions.SendableCount < _stageLimit && _partitions.Count < _stageCap && RoomToTake() > 0;

    // With DropOldest: how many more messages delivery may take out of the queue before what it holds (staged, written
    // ahead, in flight: everything counted in the queue and not unread, less what the storage writer holds, has handed
    // back or was given back) comes to a quarter of MaxQueueSize or of MaxQueueBytes (at the queue's average message
    // size); otherwise no limit. Taken messages cannot be dropped as the oldest: a queue holding only those would drop
    // every new call instead. With storage too: while the disk fails or another client holds the folder, memory delivers
    // as without storage. At least one while delivery holds none, so a full queue of unread messages is always read.
    private int RoomToTake()
    {
        if (_takenCountCap == long.MaxValue)
        {
            return int.MaxValue;
        }

        var count = _queue.Count;
        var bytes = _queue.EstimatedBytes;
        var taken = Math.Max(0, count - _queue.Unread - _memory.NotWithDelivery);
        var room = _takenCountCap - taken;
        if (room > 0 && count > 0 && bytes > 0)
        {
            var average = Math.Max(1, bytes / count);
            var left = _takenBytesCap - (taken * average);
            room = left <= 0 ? 0 : Math.Min(room, Math.Max(1, left / average));
        }

        return room <= 0 ? 0 : (int)Math.Min(int.MaxValue, room);
    }

    // The most one source read hands to the staging loop at once (see FillStage).
    private const int ReadGroup = 256;

    private void FillStage()
    {
        // At most a stage's worth per turn, so a stream of messages for blocked partitions cannot keep the loop reading;
        // a turn that stops there while it could stage more says so (_readCapped), and the loop reads on after sending.
        var readThisTurn = 0;
        while (CanStage && _keyRetryAt == long.MinValue)
        {
            if (readThisTurn >= _stageLimit)
            {
                _readCapped = true;
                return;
            }

            _read.Clear();
            // A few hundred at a time, so the messages and envelopes the read just touched are still in the core's caches
            // when they are staged below (a stage's worth of them is megabytes).
            var room = Math.Min(Math.Min(Math.Min(Math.Min(_stageLimit - _partitions.SendableCount, _stageLimit - readThisTurn), _stageCap - _partitions.Count), ReadGroup), RoomToTake());
            // Memory's handed-back messages counted before the disk is read: one handed back after it (the writer appended
            // its user's older ones to the disk first) waits for the next read of the disk.
            var handedBack = _memory.HandedBackMark;

            // Everything taken so far has its ticket published: the disk's read marks its take itself, under the store's
            // lock (see BeginTaking), so no flush spins while the loop waits for that lock.
            EndTaking();
            // The oldest message the storage writer handed back to memory and not read yet (looked at under the store's lock):
            // the folder is read up to where it ended then, and that message next, before the records written after it
            // (later calls, which a flush that counted it did not count: read first, they took its ticket, and the flush
            // returned while it was unsent). Handed-back messages are read only once the folder is read up to their place.
            var fromDisk = ReadDisk(room, out var readTo, out var passedOver);
            if (fromDisk == 0 && passedOver)
            {
                // Records read and none to send: the folder may hold more before a handed-back message's place.
                continue;
            }

            if (fromDisk == 0 && ReadMemory(room, handedBack, readTo) == 0)
            {
                return;
            }

            readThisTurn += _read.Count;
            foreach (var envelope in _read)
            {
                envelope.Ticket = _tickets.Issue();
                envelope.Partition = _partitions.PartitionOf(_protocol.PartitionKey(envelope.Message));
                envelope.JsonBytes = envelope.Payload.IsEmpty ? MessageSize.EstimateJson(envelope.Message) : envelope.Payload.Length;
                if (envelope.IsSettled)
                {
                    _tickets.Settle(envelope.Ticket);
                }
                else
                {
                    _partitions.Add(envelope);
                    if (_pausedNow[envelope.Partition])
                    {
                        SettleForFlushesIfStored(envelope);
                    }
                }
            }

            Interlocked.Exchange(ref _issued, _tickets.Next);
        }
    }

    // Where the oldest handed-back message not read yet was handed back (see FillStage); asked under the store's lock.
    private Func<StoredPosition>? _oldestHandedBackEnd;

    private int ReadDisk(int room, out StoredPosition readTo, out bool passedOver)
    {
        readTo = StoredPosition.Last;
        passedOver = false;
        return _disk is DiskSource stored
            ? stored.Read(_read, room, _oldestHandedBackEnd ??= () => _memory.OldestHandedBackEnd ?? StoredPosition.Last, out readTo, out passedOver)
            : _disk?.Read(_read, room) ?? 0;
    }

    private int ReadMemory(int room, long handedBack, StoredPosition readTo)
    {
        BeginTaking();
        return _memory.Read(_read, room, handedBack, readTo);
    }

    private void Dispatch()
    {
        var perRequest = _protocol.MaxMessagesPerRequest;
        // Not once sending has stopped (a shutdown's deadline, cancelled during this call): a request started then is
        // abandoned at once, and stored messages abandoned go back to the head of their partitions, ready again, so the
        // loop could start them over and over and never reach the turn that ends it.
        while (_partitions.ReadyCount > 0 && _keyRetryAt == long.MinValue && !_stopSending.IsCancellationRequested)
        {
            if (!HasReadyRequest(perRequest))
            {
                return;
            }

            if (_spareBuffers.Count == 0 && !_completions.IsEmpty)
            {
                // Requests that ended meanwhile give their buffers back first: the buffers in use stay about the requests
                // in flight, however fast answers come.
                ProcessCompletions();
                continue;
            }

            if (!_limiter.TryAcquireForNew())
            {
                return;
            }

            var batch = BuildBatch(perRequest);
            if (batch.Envelopes.Count == 0)
            {
                _limiter.Release();
                Recycle(batch);
                continue;
            }

            Start(batch);
            AfterRequestStarted?.Invoke();
        }
    }

    // Ready partitions hold a request to send now: a full one, or anything while draining, with a protocol that sends at
    // once, or with the queue full (its bound holds less than a request: nothing more can come to fill one).
    private bool HasReadyRequest(int perRequest) =>
        _partitions.ReadyCount > 0
        && (!_protocol.WaitsToFill || _drainAll || _partitions.ReadyCount >= perRequest || _partitions.ReadyBytes >= _protocol.MaxRequestBytes || _queue.IsFull);

    /// <summary>
    /// Builds a request from ready partitions, or, with <paramref name="only"/>, from that partition alone (blocked by its
    /// request in flight: see <see cref="WriteAhead"/>).
    /// </summary>
    private Batch BuildBatch(int perRequest, int only = -1)
    {
        // The messages are written one after another into the batch's own buffer (taken from the spares): no array per
        // message. The views of them are taken once the batch is complete, since the buffer may grow while it fills.
        var buffer = _spareBuffers.Count > 0 ? _spareBuffers.Pop() : new ByteBufferWriter(InitialBatchBufferBytes);
        var batch = RentBatch(perRequest, buffer);
        var bytes = 0;
        var full = false;
        var partition = only;
        var first = true;
        var holdsKept = false;
        while (!full && batch.Envelopes.Count < perRequest && (only >= 0 ? first : _partitions.TryTakeReady(out partition)))
        {
            first = false;
            if (batch.Envelopes.Count > 0 && (holdsKept || _partitions.Peek(partition) is { KeptAtSuccesses: >= 0 }))
            {
                // Messages kept before (out of retries) go in a request of their own partition: one the service keeps
                // refusing must not take other users' fresh messages down with it.
                _partitions.Untake(partition);
                break;
            }

            if (_partitions.Messages(partition) is { } staged)
            {
                Prefetch(staged, perRequest - batch.Envelopes.Count);
            }

            var used = false;
            while (batch.Envelopes.Count < perRequest && _partitions.Peek(partition) is { } envelope)
            {
                if (envelope.IsSettled)
                {
                    // Dropped meanwhile (storage made room): nothing to send.
                    _partitions.Dequeue(partition);
                    _tickets.Settle(envelope.Ticket);
                    continue;
                }

                if (envelope.Payload.IsEmpty && !_protocol.CanSend(envelope.Message))
                {
                    _partitions.Dequeue(partition);
                    _settler.Dropped(envelope, DropReason.NotSupported);
                    _tickets.Settle(envelope.Ticket);
                    continue;
                }

                var start = buffer.WrittenCount;
                if (!TryWrite(envelope, buffer))
                {
                    buffer.Truncate(start);
                    _partitions.Dequeue(partition);
                    _settler.Dropped(envelope, DropReason.InternalError);
                    _tickets.Settle(envelope.Ticket);
                    continue;
                }

                var length = buffer.WrittenCount - start;
                if (batch.Envelopes.Count > 0 && bytes + length + 1 > _protocol.MaxRequestBytes)
                {
                    // Written again by the request it starts (or copied, if it had been written before). Its size stays the
                    // estimate its partition counted it with.
                    buffer.Truncate(start);
                    full = true;
                    break;
                }

                if (!envelope.TryStartSending())
                {
                    // Dropped by storage just now: not sent.
                    buffer.Truncate(start);
                    _partitions.Dequeue(partition);
                    _tickets.Settle(envelope.Ticket);
                    continue;
                }

                _partitions.Dequeue(partition);
                holdsKept |= envelope.KeptAtSuccesses >= 0;
                batch.Envelopes.Add(envelope);
                batch.Lengths.Add(length);
                bytes += length + 1;
                used = true;
            }

            if (used)
            {
                _partitions.Block(partition);
                batch.Partitions.Add(partition);
            }
            else if (only < 0 && _partitions.Peek(partition) is not null)
            {
                _partitions.Untake(partition);
            }
        }

        if (batch.Seal() is { } released)
        {
            ReturnBuffer(released);
        }

        return batch;
    }

    /// <summary>Appends the message's wire form (its earlier one, if it has one, so a retry sends identical bytes).</summary>
    private bool TryWrite(Envelope envelope, ByteBufferWriter buffer)
    {
        if (!envelope.Payload.IsEmpty)
        {
            var payload = envelope.Payload.Span;
            payload.CopyTo(buffer.GetSpan(payload.Length));
            buffer.Advance(payload.Length);
            return true;
        }

        try
        {
            _protocol.Write(envelope.Message, buffer);
            return true;
        }
#pragma warning disable CA1031 // One message that cannot be written must not take its batch or the loop down with it.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Log.MessageNotSerializable(_logger, ex.GetType().Name);
            return false;
        }
    }
}
