using GrowlyticsSdk.Diagnostics;
using GrowlyticsSdk.Polyfills;
using GrowlyticsSdk.Serialization;
using GrowlyticsSdk.Storage;
using Microsoft.Extensions.Logging;

namespace GrowlyticsSdk.Delivery;

/// <summary>
/// The single background consumer: reads the queue into batches (by count, bytes or timer), sends one
/// batch at a time so each user's messages stay in order, and answers flushes and shutdown.
/// </summary>
internal sealed class DeliveryLoop : IDisposable
{
    private readonly MessageQueue _queue;
    private readonly BatchSender _sender;
    private readonly WakeSignal _wake;
    private readonly DeliveryCounters _counters;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly int _batchSize;
    private readonly int _batchBytes;
    private readonly TimeSpan _flushInterval;
    private readonly ByteBufferWriter _buffer = new(1024);
    private readonly List<FlushRequest> _flushes = [];
    private readonly CancellationTokenSource _stopSending = new();
    private readonly DurableQueue? _store;
    private readonly Action<int> _onSettled;
    private byte[]? _carry;
    private Task? _timer;
    private Task _run = Task.CompletedTask;
    private long _inFlight;
    private long _read;
    private long _settled;
    private volatile bool _stopping;

    // store: with storage on, the durable queue that batches are read from (and acknowledged to) instead of queue.
    public DeliveryLoop(GrowlyticsOptions options, MessageQueue queue, BatchSender sender, WakeSignal wake, DeliveryCounters counters, ILogger logger, DurableQueue? store = null)
    {
        _store = store;
        _queue = queue;
        _sender = sender;
        _wake = wake;
        _counters = counters;
        _logger = logger;
        _time = options.TimeProvider;
        _batchSize = options.MaxBatchSize;
        _batchBytes = options.MaxBatchBytes;
        _flushInterval = options.FlushInterval;
        _onSettled = OnSettled;
    }

    /// <summary>Gets the number of messages queued, being batched or in flight.</summary>
    public long Pending => _queue.Count + (_store?.Pending ?? Interlocked.Read(ref _inFlight));

    /// <summary>Gets a value indicating whether a full batch is ready to be read.</summary>
    private bool HasFullBatch => _store is null ? _queue.HasFullBatch : _store.Unread >= _batchSize;

    public void Dispose() => _stopSending.Dispose();

    public void Start() => _run = Task.Run(RunAsync);

    public Task FlushAsync(CancellationToken cancellationToken)
    {
        if (_run.IsCompleted)
        {
            return Task.CompletedTask;
        }

        // Count first, then read position: a message read in between is counted twice, so the target can
        // only be too high, never too low. A too-high target still ends when the queue runs empty.
        var queued = _queue.Count;
        var request = new FlushRequest(Interlocked.Read(ref _read) + queued);
        lock (_flushes)
        {
            _flushes.Add(request);
        }

        _wake.Set();
        return TaskCompat.WaitAsync(request.Completion.Task, cancellationToken);
    }

    /// <summary>Delivers what it can within <paramref name="timeout"/>, then counts the rest as dropped; returns that count.</summary>
    public async Task<long> StopAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        _queue.Complete();
        _stopping = true;
        _wake.Set();
        if (!_run.IsCompleted)
        {
            using var deadline = new CancellationTokenSource();
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token, cancellationToken);
            var expiry = TaskCompat.Delay(_time, timeout, linked.Token);
            if (await Task.WhenAny(_run, expiry).ConfigureAwait(false) != _run)
            {
                // Out of time: abandon the send in flight; what it held is counted below.
                _stopSending.Cancel();
            }

            deadline.Cancel();
            await _run.ConfigureAwait(false);
        }

        long undelivered = Interlocked.Exchange(ref _inFlight, 0);
        _carry = null;
        while (_queue.TryDequeue(out _))
        {
            undelivered++;
        }

        if (undelivered > 0)
        {
            _counters.AddDropped(DropReason.Shutdown, undelivered);
            Log.UndeliveredAtShutdown(_logger, undelivered);
        }

        CompleteFlushes(everything: true);
        return undelivered;
    }

    private async Task RunAsync()
    {
        while (true)
        {
            try
            {
                _wake.Reset();
                var stopping = _stopping;
                var timerDue = _timer is { IsCompleted: true };
                var flushWanted = HasFlushRequests();
                if (timerDue)
                {
                    _timer = null;
                }

                // With storage, a batch that ran out of retries stays stored and sending pauses before the next try.
                var paused = _store is { IsPaused: true } && !stopping;
                var sendWanted = !paused && _store is not null && _store.TakeSendRequest();
                if (!paused && (stopping || timerDue || flushWanted || sendWanted || HasFullBatch))
                {
                    await DrainAsync(all: stopping || timerDue || flushWanted || sendWanted).ConfigureAwait(false);
                    var empty = _store is null ? _queue.Count == 0 : _store.Unread == 0 || _store.IsPaused;
                    if (stopping && (_stopSending.IsCancellationRequested || (empty && _carry is null)))
                    {
                        return;
                    }

                    continue;
                }

                _timer ??= TaskCompat.Delay(_time, _flushInterval);
                await Task.WhenAny(_wake.WaitAsync(), _timer).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (_stopSending.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // The loop must outlive any fault; it is logged and the loop goes on.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                Log.DeliveryLoopFault(_logger, ex);
                if (_stopSending.IsCancellationRequested)
                {
                    return;
                }

                // A fault that repeats (a storage folder that keeps failing) must not turn the loop into a busy spin.
                await TaskCompat.Delay(_time, _stopping ? TimeSpan.FromMilliseconds(50) : _flushInterval).ConfigureAwait(false);
            }
        }
    }

    private async Task DrainAsync(bool all)
    {
        while (true)
        {
            if (_sender.IsStopped)
            {
                // The key was refused: later calls are counted at once instead of filling the queue.
                _queue.Refuse(DropReason.Unauthorized);
                _store?.DropAll(DropReason.Unauthorized);
                DropAllQueued(DropReason.Unauthorized);
                CompleteFlushes(everything: true);
                return;
            }

            var batch = ReadBatch();
            if (batch.Count == 0)
            {
                CompleteFlushes(everything: true);
                return;
            }

            var settled = await SendAsync(batch).ConfigureAwait(false);
            if (_store is not null && !_store.Acknowledge(settled, batch.Count))
            {
                return;
            }

            CompleteFlushes(everything: false);
            if (!all && !HasFullBatch && !HasFlushRequests())
            {
                return;
            }
        }
    }

    /// <returns>How many messages from the start of the batch were settled.</returns>
    private async Task<int> SendAsync(List<byte[]> batch)
    {
        var settledBefore = Interlocked.Read(ref _settled);
        try
        {
            await _sender.SendAsync(batch, _onSettled, _stopSending.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_stopSending.IsCancellationRequested)
        {
            throw;
        }
#pragma warning disable CA1031 // A fault must not leave the batch pending forever: what was not settled is dropped and counted.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            var unsettled = batch.Count - (Interlocked.Read(ref _settled) - settledBefore);
            if (unsettled > 0)
            {
                _counters.AddDropped(DropReason.InternalError, unsettled);
                OnSettled((int)unsettled);
            }

            Log.BatchFaulted(_logger, unsettled, ex.GetType().Name);
        }

        return (int)(Interlocked.Read(ref _settled) - settledBefore);
    }

    // Called by the sender as parts of the batch are delivered or dropped (a 413 split settles in parts),
    // so a shutdown in the middle counts only what is really left.
    private void OnSettled(int count)
    {
        if (_store is null)
        {
            // Stored batches are counted by the store, not here.
            Interlocked.Add(ref _inFlight, -count);
        }

        Interlocked.Add(ref _settled, count);
    }

    private List<byte[]> ReadBatch()
    {
        if (_store is not null)
        {
            return _store.ReadBatch(_batchSize, _batchBytes);
        }

        var batch = new List<byte[]>(Math.Min(_batchSize, _queue.Count + 1));
        var bytes = BatchBody.EnvelopeOverhead;
        if (_carry is not null)
        {
            batch.Add(_carry);
            bytes += _carry.Length + 1;
            _carry = null;
        }

        while (batch.Count < _batchSize && _queue.TryDequeue(out var message))
        {
            Interlocked.Increment(ref _read);
            Interlocked.Increment(ref _inFlight);
            var json = TrySerialize(message);
            if (json is null)
            {
                continue;
            }

            if (batch.Count > 0 && bytes + json.Length + 1 > _batchBytes)
            {
                // Does not fit: it opens the next batch, so order is kept.
                _carry = json;
                break;
            }

            batch.Add(json);
            bytes += json.Length + 1;
        }

        return batch;
    }

    private byte[]? TrySerialize(Messages.UserMessage message)
    {
        try
        {
            return MessageJsonWriter.Serialize(message, _buffer);
        }
#pragma warning disable CA1031 // One message that cannot be written must not take its batch or the loop down with it.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            _counters.AddDropped(DropReason.InternalError, 1);
            OnSettled(1);
            Log.MessageNotSerializable(_logger, ex.GetType().Name);
            return null;
        }
    }

    private void DropAllQueued(DropReason reason)
    {
        long dropped = 0;
        if (_carry is not null)
        {
            _carry = null;
            dropped++;
            Interlocked.Decrement(ref _inFlight);
        }

        while (_queue.TryDequeue(out _))
        {
            Interlocked.Increment(ref _read);
            dropped++;
        }

        Interlocked.Add(ref _settled, dropped);
        _counters.AddDropped(reason, dropped);
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
        var settled = Interlocked.Read(ref _settled);
        lock (_flushes)
        {
            for (var i = _flushes.Count - 1; i >= 0; i--)
            {
                if (everything || settled >= _flushes[i].Target)
                {
                    _flushes[i].Completion.TrySetResult(true);
                    _flushes.RemoveAt(i);
                }
            }
        }
    }
}
