using GrowlyticsSdk.Delivery;
using GrowlyticsSdk.Diagnostics;
using GrowlyticsSdk.Polyfills;
using GrowlyticsSdk.Serialization;
using Microsoft.Extensions.Logging;

namespace GrowlyticsSdk.Storage;

/// <summary>
/// The durable queue behind the in-memory one when <see cref="GrowlyticsOptions.StorageDirectory"/> is set. A
/// background writer moves accepted messages from the <see cref="MessageQueue"/> into segment files in group
/// commits (every <see cref="GrowlyticsOptions.StorageCommitInterval"/>, or at once on a flush), the delivery
/// loop reads its batches from there, and records are removed only once the service settled them.
/// </summary>
internal sealed class DurableQueue : IDisposable
{
    internal const string LockFileName = "queue.lock";
    private const int MaxTake = 4096;
    private readonly object _gate = new();
    private readonly string _directory;
    private readonly FileStream _lock;
    private readonly MessageQueue _queue;
    private readonly WakeSignal _loopWake;
    private readonly WakeSignal _writerWake = new();
    private readonly DeliveryCounters _counters;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly GrowlyticsOptions _options;
    private readonly StorageLimits _limits;
    private readonly ByteBufferWriter _buffer = new(1024);
    private readonly List<FlushRequest> _flushes = [];
    private SegmentLog? _log;
    private List<(byte[] Payload, long AcceptedMs)>? _unwritten;
    private Task _writer = Task.CompletedTask;
    private long _inHand;
    private long _storedPending;
    private long _unread;
    private long _pausedUntil;
    private int _sendRequested;
    private bool _writeFailing;
    private volatile bool _stopping;

    private DurableQueue(string directory, FileStream lockFile, GrowlyticsOptions options, MessageQueue queue, WakeSignal loopWake, DeliveryCounters counters, ILogger logger)
    {
        _directory = directory;
        _lock = lockFile;
        _options = options;
        _queue = queue;
        _loopWake = loopWake;
        _counters = counters;
        _logger = logger;
        _time = options.TimeProvider;
        _limits = new StorageLimits(options, counters, logger);
    }

    /// <summary>Gets the messages taken from the memory queue or stored on disk, not yet settled.</summary>
    public long Pending => Interlocked.Read(ref _inHand) + Interlocked.Read(ref _storedPending);

    /// <summary>Gets the stored messages waiting to be read into a batch.</summary>
    public long Unread => Interlocked.Read(ref _unread);

    /// <summary>Gets a value indicating whether delivery waits after a batch ran out of retries.</summary>
    public bool IsPaused => _time.GetTimestamp() < Interlocked.Read(ref _pausedUntil);

    /// <summary>
    /// Takes the storage folder's lock (one file open, no scan: that runs in the background). Returns
    /// <see langword="null"/>, after a warning, when another process holds the folder or it cannot be used.
    /// </summary>
    public static DurableQueue? TryOpen(GrowlyticsOptions options, MessageQueue queue, WakeSignal loopWake, DeliveryCounters counters, ILogger logger)
    {
        var directory = options.StorageDirectory!;
        try
        {
            Directory.CreateDirectory(directory);
            var lockFile = new FileStream(Path.Combine(directory, LockFileName), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            return new DurableQueue(directory, lockFile, options, queue, loopWake, counters, logger);
        }
        catch (IOException ex) when (ex is not FileNotFoundException and not DirectoryNotFoundException and not PathTooLongException)
        {
            Log.StorageLocked(logger);
            return null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
        {
            Log.StorageUnavailable(logger, ex.GetType().Name);
            return null;
        }
    }

    public void Start() => _writer = Task.Run(RunWriterAsync);

    /// <summary>Completes once everything accepted before the call is on disk (or could not be written: see the log).</summary>
    public Task FlushAsync(CancellationToken cancellationToken)
    {
        if (_writer.IsCompleted)
        {
            // Not started (no delivery) or stopped: nothing will write.
            return Task.CompletedTask;
        }

        var request = new FlushRequest(0);
        lock (_flushes)
        {
            _flushes.Add(request);
        }

        // What is on disk is sent right after, without waiting for the flush interval.
        Interlocked.Exchange(ref _sendRequested, 1);
        _writerWake.Set();
        if (_writer.IsCompleted)
        {
            // The writer stopped in between: it will not answer.
            CompleteFlushes(TakeFlushes());
        }

        return TaskCompat.WaitAsync(request.Completion.Task, cancellationToken);
    }

    public bool TakeSendRequest() => Interlocked.Exchange(ref _sendRequested, 0) == 1;

    public List<byte[]> ReadBatch(int maxCount, int maxBytes)
    {
        lock (_gate)
        {
            if (_log is null)
            {
                return [];
            }

            var batch = _log.ReadBatch(maxCount, maxBytes, _limits.ExpiredBeforeMs(), out var expired);
            if (expired > 0)
            {
                _limits.CountDropped(DropReason.Expired, expired);
            }

            AfterChange();
            return batch;
        }
    }

    /// <summary>
    /// Settles the first <paramref name="settled"/> messages of the batch in flight (delivered or dropped by the
    /// sender). Returns <see langword="false"/> when some were not settled: they stay stored and delivery pauses.
    /// </summary>
    public bool Acknowledge(int settled, int count)
    {
        lock (_gate)
        {
            _log!.Acknowledge(settled);
            if (settled < count)
            {
                var pause = (long)(_options.MaxRetryDelay.TotalSeconds * _time.TimestampFrequency);
                Interlocked.Exchange(ref _pausedUntil, _time.GetTimestamp() + pause);
                _limits.Enforce(_log);
            }

            AfterChange();
            return settled >= count;
        }
    }

    /// <summary>Settles every stored message as dropped (the service refused the API key).</summary>
    public void DropAll(DropReason reason)
    {
        lock (_gate)
        {
            if (_log is not null)
            {
                _counters.AddDropped(reason, _log.DropAll());
                AfterChange();
            }
        }
    }

    /// <summary>Writes what is left in the memory queue (call after the queue stopped accepting), then stops the writer.</summary>
    public async Task StopWriterAsync()
    {
        _stopping = true;
        _writerWake.Set();
        await _writer.ConfigureAwait(false);
    }

    /// <summary>Counts and logs what stays for the next start; releases the folder.</summary>
    public void Close()
    {
        lock (_gate)
        {
            if (_unwritten is { Count: > 0 } lost)
            {
                // Never reached the disk: gone with the process.
                _counters.AddDropped(DropReason.Shutdown, lost.Count);
                Interlocked.Add(ref _inHand, -lost.Count);
                _unwritten = null;
            }

            if (_log is { Pending: > 0 } log)
            {
                Log.LeftInStorage(_logger, log.Pending);
            }
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _log?.Dispose();
            _lock.Dispose();
        }
    }

    private async Task RunWriterAsync()
    {
        LoadSafely();
        while (true)
        {
            try
            {
                _writerWake.Reset();
                var stopping = _stopping;
                Commit();
                if (stopping)
                {
                    CompleteFlushes(TakeFlushes());
                    return;
                }
            }
#pragma warning disable CA1031 // The writer must outlive any fault; it is logged and the writer goes on.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                Log.StorageFault(_logger, ex);
            }

            await Task.WhenAny(_writerWake.WaitAsync(), TaskCompat.Delay(_time, _options.StorageCommitInterval)).ConfigureAwait(false);
        }
    }

    private void LoadSafely()
    {
        try
        {
            var loaded = SegmentLoader.Load(_directory, _limits.MaxFileBytes);
            lock (_gate)
            {
                _log = new SegmentLog(_directory, _limits.SegmentBytes, loaded.Segments, loaded.MaxId);
                _counters.AddRestored(_log.Pending);
                _limits.Enforce(_log);
                AfterChange();
            }

            if (loaded.Corrupt > 0)
            {
                _counters.AddCorrupt(loaded.Corrupt);
                Log.StorageDamaged(_logger, loaded.Corrupt);
            }

            if (loaded.NewerVersionFiles > 0)
            {
                Log.StorageNewerFormat(_logger, loaded.NewerVersionFiles);
            }

            if (_log.Pending > 0)
            {
                Log.StorageRestored(_logger, _log.Pending);
                Interlocked.Exchange(ref _sendRequested, 1);
                _loopWake.Set();
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Nothing could be restored; new messages are still written (or kept in memory while writes fail).
            Log.StorageUnavailable(_logger, ex.GetType().Name);
            lock (_gate)
            {
                // Segment ids from the clock sort after any file a readable folder could hold.
                _log = new SegmentLog(_directory, _limits.SegmentBytes, [], _time.GetUtcNow().UtcTicks);
            }
        }
    }

    private void Commit()
    {
        var flushes = TakeFlushes();
        while (true)
        {
            var records = _unwritten ?? Take();
            if (records.Count == 0)
            {
                break;
            }

            var taken = records.Count;
            try
            {
                lock (_gate)
                {
                    _log!.Append(records);
                    Interlocked.Add(ref _inHand, -records.Count);
                    _unwritten = null;
                    _limits.Enforce(_log);
                    AfterChange();
                }

                _writeFailing = false;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Append leaves in the list only the records it could not write; the others are in the log now.
                if (records.Count < taken)
                {
                    lock (_gate)
                    {
                        Interlocked.Add(ref _inHand, records.Count - taken);
                        AfterChange();
                    }
                }

                _unwritten = records;
                if (!_writeFailing)
                {
                    _writeFailing = true;
                    Log.StorageWriteFailed(_logger, ex.GetType().Name);
                }

                break;
            }
        }

        // On a write failure the flush ends too: it cannot wait for a disk that may never come back.
        CompleteFlushes(flushes);
        if (Unread >= _options.MaxBatchSize || (Unread > 0 && Volatile.Read(ref _sendRequested) == 1))
        {
            _loopWake.Set();
        }
    }

    private List<(byte[] Payload, long AcceptedMs)> Take()
    {
        var records = new List<(byte[], long)>();
        while (records.Count < MaxTake && _queue.TryDequeue(out var message))
        {
            byte[] payload;
            try
            {
                payload = MessageJsonWriter.Serialize(message, _buffer);
            }
#pragma warning disable CA1031 // One message that cannot be written must not take the others with it.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                _counters.AddDropped(DropReason.InternalError, 1);
                Log.MessageNotSerializable(_logger, ex.GetType().Name);
                continue;
            }

            Interlocked.Increment(ref _inHand);
            records.Add((payload, message.Timestamp.ToUnixTimeMilliseconds()));
        }

        return records;
    }

    /// <summary>Publishes the log's figures for lock-free readers and persists the settled position.</summary>
    private void AfterChange()
    {
        var log = _log!;
        if (log.LateDamage > 0)
        {
            _counters.AddDropped(DropReason.Corrupted, log.LateDamage);
            _counters.AddCorrupt(log.LateDamage);
            log.LateDamage = 0;
        }

        Interlocked.Exchange(ref _storedPending, log.Pending);
        Interlocked.Exchange(ref _unread, log.Unread);
        try
        {
            log.SaveAck();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Saved with the next change; until then a restart may send some settled messages again.
            Log.StorageWriteFailed(_logger, ex.GetType().Name);
        }
    }

    private List<FlushRequest> TakeFlushes()
    {
        lock (_flushes)
        {
            var taken = new List<FlushRequest>(_flushes);
            _flushes.Clear();
            return taken;
        }
    }

    private static void CompleteFlushes(List<FlushRequest> flushes)
    {
        foreach (var flush in flushes)
        {
            flush.Completion.TrySetResult(true);
        }
    }
}
