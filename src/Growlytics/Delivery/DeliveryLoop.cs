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
    }

    /// <summary>Gets the number of messages queued, being batched or in flight.</summary>
    public long Pending => _queue.Count + (_store?.Pending ?? Interlocked.Read(ref _inFlight));

    /// <summary>Gets the messages ready to be read into a batch.</summary>
    private long Backlog => _store?.Unread ?? _queue.Count;

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
                if (!paused && (stopping || timerDue || flushWanted || sendWanted || Backlog >= _batchSize))
                {
                    await DrainAsync(all: stopping || timerDue || flushWanted || sendWanted).ConfigureAwait(false);
                    if (stopping && (_stopSending.IsCancellationRequested || (Backlog == 0 && _carry is null) || _store is { IsPaused: true }))
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
            }
        }
    }

    private async Task DrainAsync(bool all)
    {
        while (true)
        {
            if (_sender.IsStopped)
            {
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

            var settled = await _sender.SendAsync(batch, _stopSending.Token).ConfigureAwait(false);
            if (_store is not null)
            {
                if (!_store.Acknowledge(settled, batch.Count))
                {
                    return;
                }
            }
            else
            {
                Interlocked.Add(ref _inFlight, -batch.Count);
                Interlocked.Add(ref _settled, batch.Count);
            }

            CompleteFlushes(everything: false);
            if (!all && Backlog < _batchSize && !HasFlushRequests())
            {
                return;
            }
        }
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
            var json = MessageJsonWriter.Serialize(message, _buffer);
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
