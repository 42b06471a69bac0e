using System.Collections.Concurrent;
using GrowlyticsSdk.Diagnostics;
using GrowlyticsSdk.Polyfills;
using GrowlyticsSdk.Protocols;
using GrowlyticsSdk.Threading;
using Microsoft.Extensions.Logging;

namespace GrowlyticsSdk.Delivery;

/// <summary>
/// The engine's one background loop: reads messages from the sources into partitions, builds each request from ready
/// partitions only (as few as it can), starts up to the limiter's number of requests at once, and settles what they
/// report. A failing batch blocks only its own partitions until its retries settle; its backoff holds no slot.
/// Flushes complete when every message read before them is settled, whatever order batches finish in.
/// </summary>
internal sealed partial class Dispatcher : IDisposable
{
    /// <summary>How long sending waits after the service refused the API key before it tries again.</summary>
    public static readonly TimeSpan KeyRetryInterval = TimeSpan.FromMinutes(5);

    private readonly Action? _beforeFlushRegistered;
    private readonly IWireProtocol _protocol;
    private readonly MessageQueue _queue;
    private readonly MemorySource _memory;
    private readonly IMessageSource? _disk;
    private readonly RequestSender _sender;
    private readonly ConcurrencyLimiter _limiter;
    private readonly Settler _settler;
    private readonly WakeSignal _wake;

    // Set by a finished request: the loop goes on on that thread, rather than waking another one to do it.
    private readonly WakeSignal _finished = new(resumeOnSetter: true);
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly TimeSpan _flushInterval;
    private readonly TimeSpan _pauseAfterKept;
    private readonly TimeSpan _pauseAfterIsolatedKept;
    private readonly PartitionSet _partitions;
    private readonly TicketWindow _tickets = new();
    private readonly ConcurrentQueue<Completion> _completions = new();
    private readonly List<FlushRequest> _flushes = [];
    // Partitions paused after messages kept (out of retries), until when, and, if the service did not answer their last
    // attempt, how many attempts it had answered then (-1 if it answered).
    private readonly List<(int Partition, long Until, long UnansweredAt)> _paused = [];

    // Whether each partition is in _paused now (read for every message staged).
    private readonly bool[] _pausedNow;
    private readonly List<Envelope> _read = [];
    private readonly List<Envelope> _abandoned = [];
    private readonly CancellationTokenSource _stopSending = new();

    // Cancelled when the loop ends: its timers (the flush interval's may be an hour) go with it rather than stay
    // registered with the clock until they fire.
    private readonly CancellationTokenSource _loopTimers = new();
    private readonly List<TaskCompletionSource<bool>> _dropRequests = [];
    private readonly int _stageLimit;
    private readonly long _takenCountCap;
    private readonly long _takenBytesCap;
    private readonly int _stageCap;
    private bool _readCapped;
    private Task _run = Task.CompletedTask;

    // Whether Start ran: a dispatcher never started (the caller benchmarks) has no loop to serve requests.
    private bool _started;
    private Task? _timer;
    private Task? _pauseTimer;
    private long _issued;

    // Flushes registered so far (under the _flushes lock): "everything is settled" completes only those registered before
    // it was checked, since a later one may count a call that the check did not see.
    private long _flushesRegistered;

    // Records restored from the storage folder, ever (written under the _flushes lock; see StoredRecordsRestored).
    private long _restoredAhead;
    private int _inFlight;
    private bool _drainAll;

    // Set by the flush interval's timer, a drain request (RequestDrain) or shutdown: partly filled batches go until idle.
    private bool _drainUntilIdle;
    private long _keyRetryAt = long.MinValue;
    private int _keyRefusedStatus;
    private int _drainRequested;

    // Set when stored records the storage bound dropped were staged: the loop removes them (RemoveSettledStaged).
    private int _sweepSettled;
    private int _fillVersion;
    private volatile bool _stopping;

    // Completed when a shutdown begins (with _stopping): it ends the loop's pause after a fault (see TurnAsync).
    private readonly TaskCompletionSource<bool> _stopRequested = new(TaskCreationOptions.RunContinuationsAsynchronously);

    // The shutdown's deadline (a timestamp of the client's clock), written before _stopping: partitions paused after kept
    // messages whose pause ends by then are tried again at its end; the others are left as they are (see ResumePaused).
    private long _stopDeadline = long.MaxValue;

    // At shutdown, whether a paused partition's pause is waited for (see ResumePaused): the shutdown does not take the
    // sender's quiet for the end while one is. Set from StopAsync until the loop has looked.
    private volatile bool _waitsForPause;

    // Set once StopAsync has counted what memory held: later arrivals are dropped as they come (DropLateArrivals).
    private volatile bool _stopped;
    private volatile bool _optedOut;

    // The requests in flight: cancelled at shutdown (with _stopSending) and at a privacy request, then renewed.
    private CancellationTokenSource _sendScope;

    public Dispatcher(GrowlyticsOptions options, IWireProtocol protocol, MessageQueue queue, MemorySource memory, IMessageSource? disk, RequestSender sender, ConcurrencyLimiter limiter, Settler settler, WakeSignal wake, ILogger logger)
    {
        _protocol = protocol;
        _queue = queue;
        _memory = memory;
        _disk = disk;
        _sender = sender;
        _limiter = limiter;
        _settler = settler;
        _wake = wake;
        _logger = logger;
        _time = options.TimeProvider;
        _blockingDrops = new LogRateLimiter(_time, TimeSpan.FromMinutes(1));
        _flushInterval = options.FlushInterval;
        _beforeOptOutSweep = options.BeforeOptOutSweep;
        _beforeBuildAhead = options.BeforeBuildAhead;
        _beforeFlushRegistered = options.BeforeFlushRegistered;
        _pauseAfterKept = options.MaxRetryDelay;
        _pauseAfterIsolatedKept = options.RetryBaseDelay < options.MaxRetryDelay ? options.RetryBaseDelay : options.MaxRetryDelay;
        _partitions = new PartitionSet(PartitionSet.CountFor(options), protocol.MaxMessagesPerRequest);
        _pausedNow = new bool[_partitions.Size];

        // Enough staged work in ready partitions to fill every slot several times over; the rest waits in its source.
        // Messages in blocked partitions do not count: a user whose requests are slow or retried must not keep other
        // users' messages unread behind its own (memory's are bounded by the queue, stored ones by the read window). Nor
        // does a ready partition's backlog beyond its next request (see PartitionSet.SendableCount): one user's requests
        // follow each other, so its backlog fills no other slot, and counted in full it stopped every read while it was
        // ready (after each answer when answers come fast), until it was down to the stage's size.
        // With DropOldest everything staged counts, as before: a full queue drops its oldest unread message, so what is
        // staged must stay well below the queue's bounds (by count and by bytes) for the newest call not to be dropped.
        // What delivery takes out of the queue (staged, written ahead, in flight) is held to about a quarter of
        // MaxQueueSize and of MaxQueueBytes (a small queue's requests are smaller then; see RoomToTake); with storage too,
        // where memory delivers while the disk fails or another client holds the folder. What the storage writer has taken
        // or handed back is not delivery's, and does not count.
        _stageLimit = Math.Max(4096, 8 * options.EffectiveMaxConcurrentRequests * protocol.MaxMessagesPerRequest);
        var dropOldest = options.QueueOverflowPolicy == QueueOverflowPolicy.DropOldest;
        _stageCap = dropOldest ? _stageLimit : int.MaxValue;
        var boundTaken = dropOldest;
        _takenCountCap = boundTaken ? Math.Max(1, options.MaxQueueSize / 4) : long.MaxValue;
        _takenBytesCap = boundTaken ? options.MaxQueueBytes / 4 : long.MaxValue;
        _sendScope = CancellationTokenSource.CreateLinkedTokenSource(_stopSending.Token);
        if (disk is DiskSource stored)
        {
            stored.Taking = BeginTaking;
            stored.DroppedWhileStaged = () =>
            {
                Interlocked.Exchange(ref _sweepSettled, 1);
                _wake.Set();
            };
        }
    }

    /// <summary>Gets the sender of this dispatcher's requests (for tests).</summary>
    internal RequestSender Sender => _sender;

    /// <summary>
    /// Gets the number of messages accepted and not yet settled, wherever they are, for the application's figures: without
    /// those counted delivered or dropped that a source is still settling.
    /// </summary>
    public long Pending => _memory.Pending + (_disk is { } disk ? disk.Pending - disk.Settling : 0);

    /// <summary>Gets the number of staged messages, blocked partitions included (a loop-only figure read as it is: for tests).</summary>
    internal int StagedCount => _partitions.Count;

    public void Dispose()
    {
        lock (_dropRequests)
        {
            _sendScope.Dispose();
        }

        _stopSending.Dispose();
    }

    public void Start()
    {
        _started = true;
        _run = BackgroundWork.Start(RunAsync);
    }

    /// <summary>Sends what is staged now, without waiting for batches to fill (see <see cref="GrowlyticsClient.FlushToStorageAsync"/>).</summary>
    public void RequestDrain()
    {
        Interlocked.Exchange(ref _drainRequested, 1);
        _wake.Set();
    }

    private async Task RunAsync()
    {
        try
        {
            await TurnAsync().ConfigureAwait(false);
        }
        finally
        {
            _loopTimers.Cancel();
            _limiter.EndCooling();
        }
    }

    /// <summary>A timer of the loop's, released when the loop ends.</summary>
    private Task LoopTimer(TimeSpan delay) => TaskCompat.Delay(_time, delay, _loopTimers.Token);

    private async Task TurnAsync()
    {
        while (true)
        {
            try
            {
                _wake.Reset();
                _finished.Reset();

                // Read before the sources: a shutdown that begins during this turn (the storage writer may have just
                // loaded what a previous run left, or taken the folder over) ends the loop only after a turn that read
                // the sources with it begun (it set the wake signal, so that turn follows at once).
                var stopping = _stopping;
                ProcessCompletions();
                ServeReturnRequests();
                if (_stopSending.IsCancellationRequested || _returningToStorage)
                {
                    // Sending has ended, or pauses while memory's messages go to storage: the loop only waits for the
                    // requests in flight to end.
                    if (_inFlight == 0 && _stopSending.IsCancellationRequested)
                    {
                        return;
                    }

                    await Task.WhenAny(_wake.WaitAsync(), _finished.WaitAsync()).ConfigureAwait(false);
                    continue;
                }

                var now = _time.GetTimestamp();
                _readCapped = false;
                ResumePaused(now);
                ResumeAfterKeyRefusal(now);
                TrimUnusedSpares(now);
                if (DropForPrivacy())
                {
                    // Opted out: nothing is read to be sent, and a message that slipped in wakes the loop to drop it.
                    _queue.WakeOnNextMessage();
                }
                else if (_keyRetryAt != long.MinValue)
                {
                    // The key was refused: nothing is read to be sent until it is tried again. A call that passed the
                    // queue's check just before the refusal and was queued after everything held was dropped is dropped
                    // too, at once (a flush counts it); the next such call wakes the loop to do so (asked first, so one
                    // added during the drop is not missed).
                    _queue.WakeOnNextMessage();
                    DropAfterKeyRefusal();
                }
                else
                {
                    Fill();
                }

                if (Volatile.Read(ref _sweepSettled) == 1 && Interlocked.Exchange(ref _sweepSettled, 0) == 1)
                {
                    RemoveSettledStaged();
                }

                if (_timer is { IsCompleted: true })
                {
                    _timer = null;
                    _drainUntilIdle = true;
                }

                if (stopping || Interlocked.Exchange(ref _drainRequested, 0) == 1)
                {
                    _drainUntilIdle = true;
                }

                // A flush hurries partly filled batches only while it waits: one completed, or withdrawn because its wait was
                // cancelled, no longer does, even while requests are still in flight.
                _drainAll = _drainUntilIdle || HasFlushRequests();

                Dispatch();
                NoteWaitsForPause();
                WriteAhead();
                var registeredBefore = FlushesRegistered();
                var idle = _inFlight == 0 && _partitions.ReadyCount == 0 && !_memory.HasUnread;
                if (idle)
                {
                    // Not everything while the storage writer holds messages: a failed write hands them back to be sent.
                    // With storage, everything staged may wait in partitions paused after messages kept on disk (out of
                    // retries) while the stage (see _stageCap) or the stored queue's read window is full of them: the records
                    // behind cannot be read before the service is back, and flushes do not wait for that.
                    var blockedByKept = _disk is not null && _paused.Count > 0 && (_partitions.Count >= _stageCap || _disk.WaitsForOldest);
                    var settledAll = !_memory.WithWriter && ((_partitions.Count == 0 && (_disk is null || _disk.Pending == 0)) || blockedByKept || NothingUnsettled());
                    CompleteFlushes(everything: settledAll || stopping, stopping ? long.MaxValue : registeredBefore);
                    _drainUntilIdle = false;
                    _drainAll = false;
                    if (stopping && _paused.Count == 0)
                    {
                        // Nothing left to send before the deadline (partitions paused past it were let go).
                        return;
                    }
                }
                else
                {
                    CompleteFlushes(everything: false);
                }

                if (_protocol.WaitsToFill)
                {
                    if (idle && _disk is null)
                    {
                        // Nothing waits: no timer, so an idle client does not turn at every flush interval (with a 1 ms
                        // interval that was some 250 turns a second). The next message wakes the loop, which starts the
                        // timer then (checked again after asking, so none is missed). With storage the loop still turns
                        // at every interval: the storage writer takes what waits in memory between those turns, and a
                        // disk that failed is tried again with it.
                        _queue.WakeOnNextMessage();
                        if (_memory.HasUnread && CanStage)
                        {
                            continue;
                        }
                    }
                    else
                    {
                        // A batch that does not fill goes within about one flush interval.
                        _timer ??= LoopTimer(_flushInterval);
                    }

                    // Woken when what is unread would fill a request with what is already staged (checked again after
                    // setting: a threshold already passed wakes nobody).
                    var needCount = _protocol.MaxMessagesPerRequest - _partitions.ReadyCount;
                    var needBytes = _protocol.MaxRequestBytes - _partitions.ReadyBytes;
                    _queue.SetWakeThresholds(needCount, needBytes);
                    if (CanStage && _memory.HasUnread && (_queue.Unread >= needCount || _queue.UnreadJson >= needBytes || _queue.IsFull))
                    {
                        continue;
                    }
                }

                if (!_protocol.WaitsToFill)
                {
                    // Sends at once: the next message wakes an idle loop (checked again after asking, so none is missed).
                    _queue.WakeOnNextMessage();
                    if (_memory.HasUnread && CanStage)
                    {
                        continue;
                    }
                }

                if (_readCapped)
                {
                    // The turn stopped at its read cap with more to read (FillStage): nothing else would wake the loop for
                    // stored records behind blocked partitions, so it reads on at once (each such turn read a stage's worth).
                    continue;
                }

                await Task.WhenAny(_wake.WaitAsync(), _finished.WaitAsync(), _timer ?? Never, _pauseTimer ?? Never, _keptTimer ?? Never, SpareTrimWake()).ConfigureAwait(false);
            }
#pragma warning disable CA1031 // The loop must outlive any fault; it is logged and the loop goes on.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                Log.DeliveryLoopFault(_logger, ex);

                // A fault that repeats must not turn the loop into a busy spin, and a fault of the app's TimeProvider (which
                // this wait uses too) must not end the loop. A shutdown that begins meanwhile ends the pause (the flush
                // interval's may be an hour): the shutdown waits for the loop, and is bounded by its timeout.
                if (_stopping)
                {
                    await TaskCompat.BackgroundDelay(_time, TimeSpan.FromMilliseconds(50), _loopTimers.Token).ConfigureAwait(false);
                }
                else
                {
                    await Task.WhenAny(TaskCompat.BackgroundDelay(_time, _flushInterval, _loopTimers.Token), _stopRequested.Task).ConfigureAwait(false);
                }
            }
        }
    }

    private static Task Never { get; } = new TaskCompletionSource<bool>().Task;

    /// <summary>
    /// Removes from the stage the stored messages the storage bound dropped while they were staged (settled and counted
    /// already): a partition that is paused or waits for a retry builds no request that would remove them, and the read
    /// window they freed lets more be read, so without this an outage kept everything dropped in memory. Loop only.
    /// </summary>
    private void RemoveSettledStaged()
    {
        var removed = new List<Envelope>();
        _partitions.RemoveSettled(removed);
        foreach (var envelope in removed)
        {
            _tickets.Settle(envelope.Ticket);
        }
    }

    /// <summary>Gives requests started from now on a fresh scope, after one was cancelled (not while opted out or stopped).</summary>
    private void RenewSendScopeLocked()
    {
        if (!_optedOut && _sendScope.IsCancellationRequested && !_stopSending.IsCancellationRequested)
        {
            // The cancelled scope is disposed, which takes its link off the client's stop: kept, every privacy request
            // left one registered there until shutdown (about 144 bytes each). Requests still holding its token see it
            // cancelled; registering on it runs the callback at once, as for any cancelled token.
            var cancelled = _sendScope;
            _sendScope = CancellationTokenSource.CreateLinkedTokenSource(_stopSending.Token);
            cancelled.Dispose();
        }
    }

    private void CancelSendsLocked()
    {
        try
        {
            _sendScope.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Shut down: nothing is in flight any more.
        }
    }
}
