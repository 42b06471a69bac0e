using GrowlyticsSdk.Diagnostics;
using GrowlyticsSdk.Messages;
using GrowlyticsSdk.Polyfills;
using GrowlyticsSdk.Serialization;
using GrowlyticsSdk.Threading;
using Microsoft.Extensions.Logging;

namespace GrowlyticsSdk.Storage;

/// <summary>
/// The stored queue when <see cref="GrowlyticsOptions.StorageDirectory"/> is set: the disk is the buffer. A background
/// writer takes accepted messages from memory (<c>take</c>) and appends them to segment files in group commits, readers
/// take records in order and settle them in any order, and records are removed only once settled. If the folder is
/// held by another client the writer takes it over when it is released; if the disk fails or fills, what could not be
/// written is handed back (<c>handBack</c>) to be delivered from memory, and the disk is tried again later.
/// </summary>
internal sealed partial class DurableQueue : IDisposable
{
    /// <summary>How often a folder held by another client is tried again.</summary>
    public static readonly TimeSpan TakeOverInterval = TimeSpan.FromSeconds(1);

    /// <summary>How long the writer leaves a failing disk alone before it tries again.</summary>
    public static readonly TimeSpan DiskRetryInterval = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How often an idle writer (see <see cref="WakeOnNextMessage"/>) still looks at its folder, when nothing wakes it
    /// sooner (or at each <see cref="GrowlyticsOptions.StorageCommitInterval"/>, if that is longer).
    /// </summary>
    public static readonly TimeSpan IdleInterval = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The most records between the acknowledged position and the read position (settled or not). Settling out of
    /// order leaves settled records above the position; they are saved as runs (<see cref="SettledFile"/>, at most
    /// <see cref="SettledFile.MaxRuns"/>: those restored at the start, then the earliest), so after a restart those outside the runs kept, and those settled within the
    /// last <see cref="GrowlyticsOptions.StorageCommitInterval"/> before a kill, are sent again: at most this many plus
    /// one commit interval's.
    /// </summary>
    public const int ReadWindow = 16_384;

    private const int MaxTake = 4096;
    private static readonly TimeSpan LogInterval = TimeSpan.FromMinutes(1);
    private readonly object _gate = new();
    private readonly string _directory;
    private readonly WakeSignal _writerWake = new();
    private readonly DeliveryCounters _counters;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly GrowlyticsOptions _options;
    private readonly StorageLimits _limits;
    private readonly ByteBufferWriter _buffer = new(1024);
    private readonly List<TaskCompletionSource<bool>> _flushes = [];

    // Set under _flushes when the stopping writer takes its last flushes.
    private bool _flushesClosed;
    private readonly Func<UserMessage?> _take;
    private readonly Action<UserMessage> _written;
    private readonly Action<List<UserMessage>> _handBack;
    private readonly Action _wakeReader;
    private readonly LogRateLimiter _writeFailures;
    private readonly LogRateLimiter _ackFailures;
    private StorageFolder? _folder;
    private StorageFolder.Problem _problem;
    private SegmentLog? _log;
    private Task _writer = Task.CompletedTask;
    private long _storedPending;

    // Calls of records a limit dropped while they were being read: no longer in _storedPending, and counted here until
    // their reader takes them over (HandOverLocked, TakeOver), so a snapshot between the two steps still counts them.
    private long _handedOver;
    private long _storedUnread;
    private long _retryDiskAt = long.MinValue;
    private long _failuresSinceReport;

    // Failed writes since the disk last worked: what event 4013 reports when it works again.
    private long _failuresSinceWorking;

    // Damaged records found after start and not logged yet (found under the store's lock; the writer logs them).
    private long _damageToLog;
    private volatile bool _owner;
    private volatile bool _heldFolder;
    private volatile bool _windowFull;
    private volatile bool _failing;
    private volatile bool _stopping;

    // Set by a shutdown that asks the writer waiting for the folder for one last try (see LastTakeOverAsync).
    private TaskCompletionSource<bool>? _lastTry;

    // Set at start when another client holds the folder; cleared once the writer took it over and ran TakenOver.
    private volatile bool _waitingForFolder;
    private volatile bool _closed;

    public DurableQueue(GrowlyticsOptions options, DeliveryCounters counters, ILogger logger, Func<UserMessage?> take, Action<UserMessage> written, Action<List<UserMessage>> handBack, Action wakeReader)
    {
        _directory = options.StorageDirectory!;
        _options = options;
        _counters = counters;
        _logger = logger;
        _time = options.TimeProvider;
        _take = take;
        _written = written;
        _handBack = handBack;
        _wakeReader = wakeReader;
        _limits = new StorageLimits(options, counters, logger);
        _writeFailures = new LogRateLimiter(_time, LogInterval);
        _ackFailures = new LogRateLimiter(_time, LogInterval);
    }

    /// <summary>
    /// Gets or sets what is told (outside the queue's lock, after <see cref="Unread"/> counts them) how many records were
    /// found in the folder when it was loaded: they are read before anything accepted since, so a waiting flush must count
    /// them (a folder taken over late is loaded while flushes wait). Set before <see cref="Start"/>.
    /// </summary>
    public Action<long>? Restored { get; set; }

    /// <summary>
    /// Gets or sets how many messages memory holds for the writer now, never too few (those on their way into it
    /// included): a commit that takes a flush takes at most that many before it ends, so the flush does not wait for calls
    /// that keep coming. <see langword="null"/>: a commit ends only when memory is empty. Set before <see cref="Start"/>.
    /// </summary>
    public Func<long>? ForStorage { get; set; }

    /// <summary>
    /// Gets or sets how the idle writer asks to be woken (through <see cref="WakeWriter"/>) by the next message memory
    /// takes for it, or hands back to it. <see langword="null"/>: the writer turns at every commit interval. Set before
    /// <see cref="Start"/>.
    /// </summary>
    public Action? WakeOnNextMessage { get; set; }

    /// <summary>
    /// Gets or sets what hands a message back, returning <see langword="true"/>, when its user has an older message this
    /// writer handed back (it could not store it) that memory has not handed to the loop yet: written now, this one would
    /// be read first (the loop reads the disk before memory). <see langword="null"/>: never. Set before <see cref="Start"/>.
    /// </summary>
    public Func<UserMessage, bool>? HandBackIfWaiting { get; set; }

    /// <summary>
    /// Gets or sets what is told, before a message is handed back because it cannot be stored, so that user's later messages follow it. Set before <see cref="Start"/>.
    /// </summary>
    public Action<UserMessage>? HandingBackInOrder { get; set; }

    /// <summary>
    /// Gets or sets what runs on the writer when a disk that failed is found working again by a write of its own, with
    /// nothing from memory to write (see <see cref="TryDiskAgainAsync"/>): the messages that went to memory meanwhile
    /// and are in no request can be given to the writer (memory may be full of them). Set before <see cref="Start"/>.
    /// </summary>
    public Action? DiskWorksAgain { get; set; }

    /// <summary>
    /// Gets or sets what runs (on the writer, once) when this client has taken over a folder another client held at its
    /// start: what it kept in memory meanwhile because the folder was not its own (the session) can be written now.
    /// </summary>
    public Action? TakenOver { get; set; }

    /// <summary>
    /// Gets or sets what runs (on the writer, once, before <see cref="TakenOver"/>) when this client has taken over a folder
    /// another client held at its start, before the writer takes anything from memory: it returns once no read of memory
    /// that began while memory delivered on its own is under way. Set before <see cref="Start"/>.
    /// </summary>
    public Action? QueueTakenOver { get; set; }

    /// <summary>
    /// Gets or sets the reason what an earlier run left in the folder is dropped for when it is loaded, before anything
    /// can read it (<see cref="DropReason.OptedOut"/>: the client started opted out, so it is never sent, even if the user
    /// opts back in before the folder is loaded); <see langword="null"/> to restore it. Set before <see cref="Start"/>, or
    /// by <see cref="OptingOut"/> under the lock the load reads it under.
    /// </summary>
    public DropReason? DropAtLoad { get; set; }

    /// <summary>
    /// Occurs (outside the queue's lock) when records being read were dropped to keep a limit; their readers settle them,
    /// count them and report them (<see cref="ReportDropped"/>).
    /// </summary>
    public Action<List<StoredRecord>, DropReason>? OutstandingDropped { get; set; }

    /// <summary>Gets a value indicating whether the writer has ended (stopped, or never started).</summary>
    public bool WriterStopped => _writer.IsCompleted;

    /// <summary>Gets a value indicating whether this client holds the folder.</summary>
    public bool IsOwner => _owner;

    /// <summary>Gets the timestamp (<see cref="TimeProvider.GetTimestamp"/>) from which the next failure to save the position is logged (event 4015): for tests.</summary>
    internal long AckFailureNextLogTimestamp => _ackFailures.NextReportTimestamp;

    /// <summary>Gets the number of flushes waiting for the writer (see <see cref="FlushAsync"/>).</summary>
    internal int WaitingFlushes
    {
        get
        {
            lock (_flushes)
            {
                return _flushes.Count;
            }
        }
    }

    /// <summary>
    /// Gets a value indicating whether this client has held the folder at some time (still true once it released it at
    /// shutdown): a client that never got it keeps nothing there.
    /// </summary>
    public bool HeldFolder => _heldFolder;

    /// <summary>
    /// Gets a value indicating whether the folder could not be used at start for a reason of its own (a file at its path,
    /// no access), not because another client holds it: this client runs from memory for good (as logged then).
    /// </summary>
    public bool Unusable { get; private set; }

    /// <summary>
    /// Gets a value indicating whether the writer was told to stop, or to make its last try to take the folder over (true
    /// from then on, also while a writer that took the folder over on that try goes on writing until it is stopped).
    /// </summary>
    public bool IsStopping => _stopping || Volatile.Read(ref _lastTry) is not null;

    /// <summary>Gets a value indicating whether the disk is the buffer now: the folder is held and writes succeed.</summary>
    public bool IsBuffer => _owner && !_failing && !_closed;

    /// <summary>
    /// Makes the writer commit now instead of at its next interval (memory is filling up). Ignored while the disk is not the
    /// buffer (the folder not taken over yet, the disk failing): the writer's own timing applies then.
    /// </summary>
    public void WakeWriter()
    {
        if (IsBuffer)
        {
            _writerWake.Set();
        }
    }

    /// <summary>Gets the accepted calls the stored messages not yet settled (read or not) carry, as statistics count them.</summary>
    public long Pending => Interlocked.Read(ref _storedPending) + Interlocked.Read(ref _handedOver);

    /// <summary>
    /// Gets the accepted calls of the records the folder holds and that are not settled yet: <see cref="Pending"/> less
    /// the records a limit dropped while they were being read (no longer in the folder, so not sent at the next start).
    /// </summary>
    public long InFolder => Interlocked.Read(ref _storedPending);

    /// <summary>
    /// The reader of records <see cref="OutstandingDropped"/> reported counts <paramref name="calls"/> of them from now on:
    /// the store stops counting them (call it right after the reader starts).
    /// </summary>
    public void TakeOver(long calls) => Interlocked.Add(ref _handedOver, -calls);

    /// <summary>Gets the stored records no reader has taken yet (records, not calls: one ticket each when read).</summary>
    public long Unread => Interlocked.Read(ref _storedUnread);

    /// <summary>
    /// Gets a value indicating whether readers get nothing more until the oldest records read are settled: the records
    /// between the acknowledged position and the read position reached <see cref="ReadWindow"/>.
    /// </summary>
    public bool ReadWindowFull => _windowFull;

    /// <summary>Takes the folder if it is free: one file open, no scan (that runs in the writer, in the background).</summary>
    public void TakeFolder()
    {
        _folder = StorageFolder.TryTake(_directory, _logger, log: true, out _problem);
        _owner = _folder is not null;
        if (_owner)
        {
            _heldFolder = true;
            // A session file's temporary copy here now was left by a process killed while writing it (this client writes
            // none before it holds the folder, and no other client writes here): deleted before the writer's load
            // enforces MaxStorageBytes, which would otherwise count it and drop stored messages to make room for it.
            Sessions.SessionStore.DeleteTemporaries(_directory);
        }

        Unusable = _folder is null && _problem != StorageFolder.Problem.HeldByOther;
    }

    /// <summary>Starts the writer: it loads what is stored, or waits to take over a folder another client holds.</summary>
    public void Start()
    {
        if (_folder is null && _problem != StorageFolder.Problem.HeldByOther)
        {
            // Not a folder, or not usable: memory only, as logged.
            return;
        }

        _waitingForFolder = _folder is null;
        _writer = BackgroundWork.Start(RunWriterAsync);

        // However the writer ends (a fault before its loop too), no flush waits for it afterwards.
        // (Registered without the caller's context: it waits as long as the client lives.)
        var writer = _writer;
        BackgroundWork.WithoutFlow(() => writer.ContinueWith(_ => CompleteFlushes(TakeFlushes(close: true)), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default));
    }

    /// <summary>
    /// Completes once everything accepted before the call is written (or could not be: see the log). A flush whose wait is
    /// cancelled is withdrawn, as the dispatcher's are: flushes cancelled one after another through a stalled write
    /// (<c>FlushAsync</c> with a timeout, on a disk that hangs) do not pile up until it ends.
    /// </summary>
    public Task FlushAsync(CancellationToken cancellationToken)
    {
        if (_writer.IsCompleted || !_owner)
        {
            return Task.CompletedTask;
        }

        var flush = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_flushes)
        {
            if (_flushesClosed)
            {
                // The writer took its last flushes (it is stopping): none would complete this one.
                return Task.CompletedTask;
            }

            _flushes.Add(flush);
        }

        _writerWake.Set();
        if (_writer.IsCompleted)
        {
            CompleteFlushes(TakeFlushes());
        }

        return cancellationToken.CanBeCanceled ? WaitOrWithdrawAsync(flush, cancellationToken) : flush.Task;
    }

    private async Task WaitOrWithdrawAsync(TaskCompletionSource<bool> flush, CancellationToken cancellationToken)
    {
        try
        {
            await TaskCompat.WaitAsync(flush.Task, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Taken by a commit already, it is completed with the others (nobody waits for it any more).
            lock (_flushes)
            {
                _flushes.Remove(flush);
            }

            throw;
        }
    }

    /// <summary>
    /// Gets the position just past the newest record written (<see cref="StoredPosition.First"/> before the folder is
    /// loaded): taken by the writer as it hands messages back to memory, so the records written after them are read after
    /// them (see <see cref="Read(int, Action?, Func{StoredPosition}?, out StoredPosition)"/>).
    /// </summary>
    public StoredPosition End
    {
        get
        {
            lock (_gate)
            {
                return _log?.End ?? StoredPosition.First;
            }
        }
    }

    /// <summary>
    /// Reads up to <paramref name="max"/> stored records, oldest first, that no reader has yet. <paramref name="taking"/>
    /// runs under the lock once they are read, before <see cref="Unread"/> leaves them out (not when there is nothing to read).
    /// </summary>
    public List<StoredRecord> Read(int max, Action? taking = null) => Read(max, taking, null, out _);

    /// <summary>
    /// As <see cref="Read(int, Action?)"/>, up to the first record at or after the position <paramref name="before"/>
    /// tells under the lock (a message the writer handed back to memory: the writer hands it back between two writes, so
    /// the records written after it are not read before it). <paramref name="readTo"/> is that position (everything
    /// before it is read when no record is returned), or <see cref="StoredPosition.Last"/> when it was not asked.
    /// </summary>
    public List<StoredRecord> Read(int max, Action? taking, Func<StoredPosition>? before, out StoredPosition readTo)
    {
        var records = new List<StoredRecord>();
        readTo = StoredPosition.Last;

        // Readable as soon as the folder is loaded (the log installed), also while a folder taken over is not published as
        // this client's yet: an opt-out then takes its fast path (no DropAtLoad), and its sweep must reach these records.
        if (!_owner && (_closed || Volatile.Read(ref _log) is null))
        {
            return records;
        }

        var drops = default(StorageDrops);
        lock (_gate)
        {
            if (_log is null || _log.Unread == 0 || max <= 0)
            {
                return records;
            }

            max = Math.Min(max, ReadWindow - _log.Outstanding);
            if (max <= 0)
            {
                return records;
            }

            readTo = before?.Invoke() ?? StoredPosition.Last;
            _log.Read(max, _limits.ExpiredBeforeMs(), records, out var expired, readTo);
            drops.Add(DropReason.Expired, expired);

            // Counted as the figures without them are published; logged outside the lock (see Enforce).
            _limits.Count(drops);
            taking?.Invoke();
            AfterChange();
        }

        _limits.Report(drops);
        return records;
    }

    /// <summary>
    /// Reports records a limit dropped while they were on their way (see <see cref="OutstandingDropped"/>), once their
    /// reader counted them: in the same rate-limited line as the records the store counts itself.
    /// </summary>
    public void ReportDropped(in StorageDrops drops) => _limits.Report(drops);

    /// <summary>Settles a record read with <see cref="Read(int, Action?)"/> (delivered or dropped and counted by its reader).</summary>
    public void Settle(StoredRecord record)
    {
        bool segmentSettled;
        lock (_gate)
        {
            _log?.Settle(record);
            segmentSettled = record.Segment.Pending == 0;
            AfterChange();
        }

        if (segmentSettled && _holdingForRoom)
        {
            // Its segment can go: the writer, holding a message for room, writes it now rather than at its next commit.
            _writerWake.Set();
        }
    }

    /// <summary>Writes what is left in memory (call after the queue stopped accepting), then stops the writer.</summary>
    public async Task StopWriterAsync()
    {
        _stopping = true;
        _writerWake.Set();
        await _writer.ConfigureAwait(false);
    }

    /// <summary>Saves the position, logs what stays for the next start and releases the folder.</summary>
    public void Close()
    {
        lock (_gate)
        {
            _closed = true;
            StopSavingPositionLocked();
            if (_log is { } log)
            {
                if (FolderReplaced())
                {
                    // Another client made the folder again since the writer last looked: a file of the same name there is
                    // that client's, not one of this log's segments.
                    log.ForgetFolder();
                }

                // Records whose file is gone (the folder deleted) and not read yet are not kept for the next start: lost.
                log.PassOverMissingFiles();
                AfterChange();
                TrySaveAck();
                log.RemoveSettledWithoutPosition();
                if (log.PendingCalls > 0)
                {
                    Log.LeftInStorage(_logger, log.PendingCalls);
                }
            }
        }

        // Delivery reads the stored queue after the writer stopped (shutdown writes everything first): damage found then.
        LogDamage();
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _closed = true;
            StopSavingPositionLocked();
            _log?.Dispose();
            _folder?.Dispose();
            _owner = false;
        }
    }
}
