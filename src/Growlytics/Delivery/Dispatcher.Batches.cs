using GrowlyticsSdk.Diagnostics;

namespace GrowlyticsSdk.Delivery;

/// <summary>The dispatcher's side of new requests: staging messages, building each request from ready partitions, sending.</summary>
internal sealed partial class Dispatcher
{
    /// <summary>Moves messages from the sources into their partitions, up to the stage limit.</summary>
    private void Fill()
    {
        // Odd while messages are read and not yet published in _issued (see FlushAsync).
        Interlocked.Increment(ref _fillVersion);
        try
        {
            FillStage();
        }
        finally
        {
            Interlocked.Exchange(ref _issued, _tickets.Next);
            Interlocked.Increment(ref _fillVersion);
        }
    }

    private void FillStage()
    {
        while (_partitions.Count < _stageLimit && _keyRetryAt == long.MinValue)
        {
            _read.Clear();
            var room = _stageLimit - _partitions.Count;
            if ((_disk?.Read(_read, room) ?? 0) == 0 && _memory.Read(_read, room) == 0)
            {
                return;
            }

            foreach (var envelope in _read)
            {
                envelope.Ticket = _tickets.Issue();
                envelope.Partition = _partitions.PartitionOf(_protocol.PartitionKey(envelope.Message));
                envelope.JsonBytes = envelope.Payload?.Length ?? MessageSize.EstimateJson(envelope.Message);
                if (envelope.IsSettled)
                {
                    _tickets.Settle(envelope.Ticket);
                }
                else
                {
                    _partitions.Add(envelope);
                }
            }

            Interlocked.Exchange(ref _issued, _tickets.Next);
        }
    }

    private void Dispatch()
    {
        var perRequest = _protocol.MaxMessagesPerRequest;
        while (_partitions.ReadyCount > 0 && _keyRetryAt == long.MinValue)
        {
            if (_protocol.WaitsToFill && !_drainAll && _partitions.ReadyCount < perRequest && _partitions.ReadyBytes < _protocol.MaxRequestBytes)
            {
                return;
            }

            if (!_limiter.TryAcquireForNew())
            {
                return;
            }

            var batch = BuildBatch(perRequest);
            if (batch.Envelopes.Count == 0)
            {
                _limiter.Release();
                continue;
            }

            _inFlight++;
            var token = _sendScope.Token;
            _ = Task.Run(() => SendAsync(batch, token));
        }
    }

    private Batch BuildBatch(int perRequest)
    {
        var batch = new Batch(perRequest);
        var bytes = 0;
        var full = false;
        while (!full && batch.Envelopes.Count < perRequest && _partitions.TryTakeReady(out var partition))
        {
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

                if (envelope.Payload is null && !_protocol.CanSend(envelope.Message))
                {
                    _partitions.Dequeue(partition);
                    _settler.Dropped(envelope, DropReason.NotSupported);
                    _tickets.Settle(envelope.Ticket);
                    continue;
                }

                var payload = envelope.Payload ??= TrySerialize(envelope);
                if (payload is null)
                {
                    _partitions.Dequeue(partition);
                    _settler.Dropped(envelope, DropReason.InternalError);
                    _tickets.Settle(envelope.Ticket);
                    continue;
                }

                if (batch.Envelopes.Count > 0 && bytes + payload.Length + 1 > _protocol.MaxRequestBytes)
                {
                    full = true;
                    break;
                }

                if (!envelope.TryStartSending())
                {
                    // Dropped by storage just now: not sent.
                    _partitions.Dequeue(partition);
                    _tickets.Settle(envelope.Ticket);
                    continue;
                }

                _partitions.Dequeue(partition);
                batch.Envelopes.Add(envelope);
                batch.Payloads.Add(payload);
                bytes += payload.Length + 1;
                used = true;
            }

            if (used)
            {
                _partitions.Block(partition);
                batch.Partitions.Add(partition);
            }
            else if (_partitions.Peek(partition) is not null)
            {
                _partitions.Untake(partition);
            }
        }

        return batch;
    }

    private byte[]? TrySerialize(Envelope envelope)
    {
        try
        {
            return _protocol.Serialize(envelope.Message, _buffer);
        }
#pragma warning disable CA1031 // One message that cannot be written must not take its batch or the loop down with it.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Log.MessageNotSerializable(_logger, ex.GetType().Name);
            return null;
        }
    }

    private async Task SendAsync(Batch batch, CancellationToken cancellationToken)
    {
        List<SendResult>? results;
        try
        {
            results = await _sender.SendAsync(batch.Payloads, holdsSlot: true, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            results = null;
        }

        _completions.Enqueue(new Completion(batch, results));
        _wake.Set();
    }
}
