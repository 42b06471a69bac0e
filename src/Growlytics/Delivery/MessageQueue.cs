using System.Collections.Concurrent;
using GrowlyticsSdk.Diagnostics;
using GrowlyticsSdk.Messages;
using GrowlyticsSdk.Polyfills;
using GrowlyticsSdk.Threading;
using Microsoft.Extensions.Logging;

namespace GrowlyticsSdk.Delivery;

/// <summary>
/// The memory stage between callers and the dispatcher, bounded by count and by (estimated) bytes. A message is
/// counted from the moment it is accepted until it is released: delivered, dropped, or written to storage. Enqueue
/// never blocks and does no I/O; when full, a fire-and-forget call drops (newest or oldest, by policy) and counts, and
/// an awaited one waits for room. The dispatcher is woken at a batch's worth of messages, never per message, except
/// that a dispatcher that asked to be woken (it is idle and its protocol sends at once) is woken by the next message.
/// </summary>
internal sealed partial class MessageQueue
{
    // The load word packs the held message count (high bits) and their estimated bytes (low 38 bits), so one
    // interlocked add per message keeps both. 2^38 bytes (256 GB) is beyond any MaxQueueBytes.
    private const int CountShift = 38;
    private const long BytesMask = (1L << CountShift) - 1;
    private const long OneMessage = 1L << CountShift;
    private const int Open = 0;
    private static readonly TimeSpan LogInterval = TimeSpan.FromSeconds(10);

    private readonly Action? _beforeAdd;
    private readonly ConcurrentQueue<UserMessage> _queue = new();
    private readonly DeliveryCounters _counters;
    private readonly WakeSignal _wake;
    private readonly PulseSignal _room = new();
    private readonly ILogger _logger;
    private readonly int _maxCount;
    private readonly long _maxBytes;
    private readonly bool _dropOldest;
    private readonly LogRateLimiter _fullReports;

    // The pool the calls' messages come from: one a call made that is not queued goes back to it (see NotQueued).
    private readonly MessagePool _pool;

    // Calls waiting for room, in call order: only the first reserves (see EnqueueAsync).
    private readonly LinkedList<int> _waitLine = new();

    // One limiter per reason (indexed by DropReason): a line counts the calls refused for the reason it names, not those of
    // another reason refused since the last line.
    private readonly LogRateLimiter[] _refusedReports;
    private long _load;

    // The bytes the bodies of the requests on their way keep (see AddRequestBytes): within MaxQueueBytes with the messages.
    // Written by the dispatcher's loop only.
    private long _requestBytes;
    private int _unread;
    private long _unreadJson;

    // The estimated bytes of the messages taken from the queue (read: staged, in flight, with the storage writer) and not
    // yet released: what dropping the oldest unread messages can never free (see CouldMakeRoom). Kept by the readers and
    // by Release, never on the callers' path.
    private long _readBytes;

    // The calls beyond the first of every held message (see PendingCalls).
    private long _extraCalls;
    private int _wakeCount;
    private long _wakeBytes;
    private int _waiters;
    private int _readerIdle;
    private int _storageIdle;

    // The storage writer is woken when the held messages cross these (a quarter of each bound): see StorageWake.
    private readonly long _pressureCount;
    private readonly long _pressureBytes;
    private int _storageWakeArmed = 1;


    public MessageQueue(GrowlyticsOptions options, int wakeCount, int wakeBytes, DeliveryCounters counters, WakeSignal wake, ILogger logger)
    {
        _counters = counters;
        _wake = wake;
        _logger = logger;
        _maxCount = options.MaxQueueSize;
        _maxBytes = options.MaxQueueBytes;
        _pressureCount = Math.Max(1, _maxCount / 4);
        _pressureBytes = Math.Max(1, _maxBytes / 4);
        _dropOldest = options.QueueOverflowPolicy == QueueOverflowPolicy.DropOldest;
        _beforeAdd = options.BeforeQueueAdd;
        _pool = options.MessagePool ?? MessagePool.Shared;

        // A queue smaller than a batch must still wake the dispatcher before it overflows.
        _wakeCount = Math.Max(1, Math.Min(wakeCount, options.MaxQueueSize));
        _wakeBytes = wakeBytes;
        _fullReports = new LogRateLimiter(options.TimeProvider, LogInterval);
        _refusedReports = new LogRateLimiter[DeliveryCounters.AllReasons.Count];
        for (var i = 0; i < _refusedReports.Length; i++)
        {
            _refusedReports[i] = new LogRateLimiter(options.TimeProvider, LogInterval);
        }
    }

    /// <summary>Gets the number of accepted messages not yet read by the dispatcher or the storage writer.</summary>
    public int Unread => Volatile.Read(ref _unread);

    /// <summary>Gets the number of messages held in memory: unread, waiting for their partition, or in flight.</summary>
    public long Count => Volatile.Read(ref _load) >> CountShift;

    /// <summary>
    /// Gets the calls the held messages settle: <see cref="Count"/>, plus the extra calls of messages that settle more than
    /// one (a REST login's upsert settles the held pushes it carries).
    /// </summary>
    public long PendingCalls => Count + Volatile.Read(ref _extraCalls);

    /// <summary>Gets the estimated bytes the held messages take (see <see cref="MessageSize"/>).</summary>
    public long EstimatedBytes => Volatile.Read(ref _load) & BytesMask;

    /// <summary>
    /// Gets the bytes the bodies of the requests on their way keep (sent, waiting out a retry, or refused by the open
    /// circuit and waiting): they count toward <see cref="GrowlyticsOptions.MaxQueueBytes"/> with the messages' own.
    /// </summary>
    public long RequestBytes => Volatile.Read(ref _requestBytes);

    /// <summary>
    /// Adds the bytes a request's body keeps from its start to its end (<paramref name="delta"/> negative then). The
    /// dispatcher's loop only. Room given back wakes the calls waiting for it.
    /// </summary>
    public void AddRequestBytes(long delta)
    {
        Volatile.Write(ref _requestBytes, _requestBytes + delta);
        if (delta < 0 && Volatile.Read(ref _waiters) > 0)
        {
            _room.Pulse();
        }
    }

    /// <summary>Gets the estimated JSON bytes of the unread messages.</summary>
    public long UnreadJson => Volatile.Read(ref _unreadJson);

    /// <summary>Gets the reason new messages are refused, or <see langword="null"/> while the queue accepts them.</summary>
    public DropReason? Refusal => Strongest(_refusal);

    /// <summary>
    /// Gets or sets what wakes the storage writer (with <c>StorageDirectory</c>): called on the caller's thread when the
    /// messages held in memory reach a quarter of <see cref="GrowlyticsOptions.MaxQueueSize"/> or of
    /// <see cref="GrowlyticsOptions.MaxQueueBytes"/>, so a burst is written to disk before memory is full instead of
    /// waiting for the writer's next commit; once, until memory is down to half of that again.
    /// </summary>
    public Action? StorageWake { get; set; }

    /// <summary>Gets or sets a test seam: called on the caller's thread once a message is counted unread, before it is in the queue.</summary>
    internal Action? WhileAdding { get; set; }

    /// <summary>Gets or sets a test seam: called on the caller's thread right after the message is in the queue (as a thread preempted there while it is delivered).</summary>
    internal Action<UserMessage>? AfterQueueWrite { get; set; }

    /// <summary>Accepts a message without waiting: when the queue is full it is dropped (or the oldest is) and counted.</summary>
    /// <param name="message">The message.</param>
    /// <param name="counted">
    /// How many of its <see cref="UserMessage.Calls"/> were counted accepted already (held anonymous pushes it carries, see
    /// <see cref="DeliveryCounters.AddHeld"/>); the others are counted now.
    /// </param>
    public void Enqueue(UserMessage message, int counted = 0)
    {
        _counters.AddEnqueued(message.Calls - counted);
        if (Strongest(_refusal) is { } refusal)
        {
            Refused(refusal, message.Calls);
            NotQueued(message);
            return;
        }

        if (Volatile.Read(ref _waiters) > 0)
        {
            // Awaited calls wait for room: the queue is full for a later fire-and-forget call, which may not take the room
            // made for them (it went ahead of an earlier awaited update of its customer, or starved the waiting call).
            _counters.AddDroppedInBulk(DropReason.QueueFull, message.Calls);
            ReportFull(message.Calls);
            WakeReaderWhenFull();
            NotQueued(message);
            return;
        }

        var size = MessageSize.Estimate(message);

        // In calls, as the statistics count them (a REST login carries the pushes held for it).
        long droppedOldest = 0;
        long load;
        while (!TryReserve(size, out load))
        {
            // Dropping the oldest unread messages cannot make room when what is read already leaves too little: the new
            // message is dropped alone, not after them.
            if (!_dropOldest || !CouldMakeRoom(size) || !TryDropOldest(out var oldestCalls))
            {
                _counters.AddDroppedInBulk(DropReason.QueueFull, message.Calls);
                ReportFull(droppedOldest + message.Calls);
                WakeReaderWhenFull();
                NotQueued(message);
                return;
            }

            droppedOldest += oldestCalls;
        }

        if (droppedOldest > 0)
        {
            WakeReaderWhenFull();
        }

        _beforeAdd?.Invoke();
        Add(message);
        WakeStorageIfCrossed(load);

        // Logged once the message is in: counted accepted and not yet queued, it would be missing from the figures while
        // a slow logger runs.
        if (droppedOldest > 0)
        {
            ReportFull(droppedOldest);
        }
    }

    /// <summary>Accepts a message, waiting for room when the queue is full; completes once it is queued.</summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled before there was room; nothing was queued.</exception>
    public async ValueTask EnqueueAsync(UserMessage message, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            NotQueued(message);
            cancellationToken.ThrowIfCancellationRequested();
        }

        var size = MessageSize.Estimate(message);
        long load = 0;

        // Taken first: a refusal made while this call waits drops it even if it is lifted before the call wakes (an opt-out
        // at once taken back by an opt-in).
        var refusals = Volatile.Read(ref _refusals);
        var reserved = _refusal == Open && Volatile.Read(ref _waiters) == 0 && TryReserveWaiting(size, out load);
        if (!reserved && _refusal == Open)
        {
            // Waiting calls are served in call order: only the first in line reserves (a later, smaller one went first, and
            // one job's updates of a customer were reordered).
            LinkedListNode<int> node;
            lock (_waitLine)
            {
                node = _waitLine.AddLast(0);
            }

            Interlocked.Increment(ref _waiters);
            try
            {
                while (!RefusedSince(refusals) && !(reserved = IsFirstInLine(node) && TryReserveWaiting(size, out load)))
                {
                    // Taken before the check: room made (or a refusal) after the check pulses what was taken.
                    var room = _room.Current;
                    WakeReaderWhenFull();
                    if (RefusedSince(refusals) || (reserved = IsFirstInLine(node) && TryReserveWaiting(size, out load)))
                    {
                        break;
                    }

                    await TaskCompat.WaitAsync(room, cancellationToken).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException)
            {
                NotQueued(message);
                throw;
            }
            finally
            {
                bool wasFirst;
                lock (_waitLine)
                {
                    wasFirst = _waitLine.First == node;
                    _waitLine.Remove(node);
                }

                Interlocked.Decrement(ref _waiters);
                if (wasFirst)
                {
                    // The next in line may take what room is left.
                    _room.Pulse();
                }
            }
        }

        _counters.AddEnqueued(message.Calls);
        if (!reserved || RefusedSince(refusals))
        {
            if (reserved)
            {
                ReleaseReservation(size);
            }

            // Refused while waiting for room; a refusal lifted since (an opt-in, a key retry) is counted with its own reason.
            Refused(Strongest(_refusal) ?? (DropReason)Volatile.Read(ref _lastRefusal), message.Calls);
            NotQueued(message);
            return;
        }

        message.Awaited = true;
        Add(message);
        WakeStorageIfCrossed(load);
    }

    private bool IsFirstInLine(LinkedListNode<int> node)
    {
        lock (_waitLine)
        {
            return _waitLine.First == node;
        }
    }

    /// <summary>Takes the oldest unread message (dispatcher or storage writer). It stays counted until <see cref="Release(int, int)"/>.</summary>
    public bool TryRead(out UserMessage message)
    {
        if (!TryTake(out message))
        {
            return false;
        }

        CountTaken(1, MessageSize.EstimateJson(message), MessageSize.Estimate(message));
        return true;
    }

    /// <summary>
    /// Takes the oldest unread message, still counted unread until the caller passes it to <see cref="CountTaken"/>: a
    /// reader that takes many counts them once (one interlocked add instead of one per message, on counters the callers'
    /// threads write). Until then <see cref="Unread"/> is too high, never too low: a wake or a fill turn too many at worst
    /// for the dispatcher, and a flush target too high (flushes read it while no fill runs); a figure that must be exact
    /// reads it under the reader's lock (<see cref="MemorySource.UnreadCount"/>).
    /// </summary>
    public bool TryTake(out UserMessage message) => _queue.TryDequeue(out message!);

    /// <summary>
    /// Counts messages taken with <see cref="TryTake"/> as read: <paramref name="count"/> of them, of <paramref name="json"/>
    /// estimated JSON bytes and <paramref name="bytes"/> estimated bytes (<see cref="MessageSize.Estimate"/>).
    /// </summary>
    public void CountTaken(int count, long json, long bytes)
    {
        Interlocked.Add(ref _readBytes, bytes);
        Interlocked.Add(ref _unread, -count);
        Interlocked.Add(ref _unreadJson, -json);
    }

    /// <summary>
    /// Sets when the dispatcher is woken: once this many more messages, or this many more estimated JSON bytes, are
    /// unread (what it still needs to fill a request with what it already holds). Check <see cref="Unread"/> and
    /// <see cref="UnreadJson"/> after setting: a threshold already passed wakes nobody.
    /// </summary>
    public void SetWakeThresholds(int count, long bytes)
    {
        // Full fences (not volatile writes): the caller reads the unread figures next, and a producer writes them before
        // reading these. A store followed by a load may be reordered otherwise, and each side would miss the other.
        Interlocked.Exchange(ref _wakeCount, Math.Max(1, count));
        Interlocked.Exchange(ref _wakeBytes, Math.Max(1, bytes));
    }

    /// <summary>Asks to be woken by the next message (the dispatcher is idle and its protocol sends at once).</summary>
    /// <remarks>A full fence, for the reason given in <see cref="SetWakeThresholds"/>.</remarks>
    public void WakeOnNextMessage() => Interlocked.Exchange(ref _readerIdle, 1);

    /// <summary>
    /// Asks that the storage writer be woken (<see cref="StorageWake"/>) by the next message, or by
    /// <see cref="WakeStorageIfIdle"/> (the writer is idle).
    /// </summary>
    /// <remarks>A full fence, for the reason given in <see cref="SetWakeThresholds"/>.</remarks>
    public void WakeStorageOnNextMessage() => Interlocked.Exchange(ref _storageIdle, 1);

    /// <summary>Wakes the storage writer if it asked to be woken (see <see cref="WakeStorageOnNextMessage"/>).</summary>
    public void WakeStorageIfIdle()
    {
        if (Volatile.Read(ref _storageIdle) != 0 && Interlocked.Exchange(ref _storageIdle, 0) != 0)
        {
            StorageWake?.Invoke();
        }
    }

    private void Add(UserMessage message)
    {
        if (message.Calls > 1)
        {
            Interlocked.Add(ref _extraCalls, message.Calls - 1);
        }

        // Counted unread before it is in the queue: a reader that takes it counts it read only after that, so Unread (and
        // a flush's count) may be too high for a moment, never too low. Its bytes are added after (a full fence behind the
        // queue's write, which is only a release: see the shutdown check below). Signalled after the write, so a woken
        // dispatcher finds the message. Exactly one caller sees each crossing. Nothing reads the message once it is in the
        // queue: it may be delivered, and a pooled one carry another call, before this call returns.
        var json = MessageSize.EstimateJson(message);
        var unread = Interlocked.Increment(ref _unread);
        WhileAdding?.Invoke();
        _queue.Enqueue(message);
        AfterQueueWrite?.Invoke(message);
        var unreadJson = Interlocked.Add(ref _unreadJson, json);
        var wakeCount = Volatile.Read(ref _wakeCount);
        var wakeBytes = Volatile.Read(ref _wakeBytes);
        if (unread == wakeCount
            || (unreadJson >= wakeBytes && unreadJson - json < wakeBytes)
            || (Volatile.Read(ref _readerIdle) != 0 && Interlocked.Exchange(ref _readerIdle, 0) != 0))
        {
            _wake.Set();
        }

        WakeStorageIfIdle();

        // Read after the message is in (the add above is a full fence): if shutdown had not begun, its sweep finds the
        // message; if it had, the dispatcher is told, and drops the message if it has swept for the last time.
        if ((_refusal & (1 << (int)DropReason.Shutdown)) != 0)
        {
            AddedAfterComplete?.Invoke();
        }
    }
}
