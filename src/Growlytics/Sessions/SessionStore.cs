using GrowlyticsSdk.Diagnostics;
using GrowlyticsSdk.Storage;
using GrowlyticsSdk.Threading;
using Microsoft.Extensions.Logging;

namespace GrowlyticsSdk.Sessions;

/// <summary>
/// Keeps the process-wide session (anonymous id, user id and, under <see cref="GrowlyticsProtocol.Rest"/>, the anonymous
/// attributes held for the login) in <c>session.json</c> under the storage folder, like the browser SDK keeps its visitor in
/// local storage. Format 2 added the held attributes; format 1 files (0.1.0) are still read. Writes happen off the caller's thread, coalesced, and atomically
/// (temporary file, then rename); the file is readable by the current user only where the OS allows.
/// </summary>
internal sealed partial class SessionStore
{
    internal const string FileName = "session.json";
    private const int FormatVersion = 2;
    private const int FirstFormatVersion = 1;

    // 100 held attributes of up to 512 characters, escaped, stay well under this.
    private const int MaxFileBytes = 1024 * 1024;
    private readonly string _directory;
    private readonly string _path;
    private readonly ILogger _logger;
    private readonly long _maxHeldFileBytes;
    // Counts the deletions: a write scheduled before the latest one writes nothing. Under _gate.
    private int _generation;
    private int _lastDeleteFailures;
    private readonly object _gate = new();

    // Writes that failed since the last that worked; only the writes' chain (one at a time) touches it.
    private long _failedWrites;
    private StoredSession? _pending;
    private Task _writer = Task.CompletedTask;

    // The held calls in the file as this store last read or wrote it (under _gate); -1 after a failed write (unknown).
    private int _heldCallsInFile;

    // Whether the last write left held attributes out (logged once each time that starts); the writer's own.
    private bool _heldLeftOut;

    /// <param name="directory">The storage folder.</param>
    /// <param name="logger">The client's logger.</param>
    /// <param name="maxHeldFileBytes">
    /// The most bytes a file holding anonymous attributes may take (see <see cref="StorageLimits.SessionFileCap"/>); a
    /// larger session is written without them.
    /// </param>
    public SessionStore(string directory, ILogger logger, long maxHeldFileBytes = MaxFileBytes)
    {
        _directory = directory;
        _path = Path.Combine(directory, FileName);
        _logger = logger;
        _maxHeldFileBytes = maxHeldFileBytes;
    }

    /// <summary>
    /// Gets what is told when the file, or the held attributes in it, is there but cannot be used (cut short, changed,
    /// unreadable, of another version): a damaged file in storage, counted as <see cref="GrowlyticsStatistics.CorruptRecords"/>.
    /// </summary>
    public Action? FoundDamaged { get; init; }

    // Whether FoundDamaged was told (see ReportDamage).
    private int _damageReported;

    /// <summary>Gets or sets what runs before each write of the file, outside the store's lock (for tests: a slow disk).</summary>
    internal Action? BeforeWrite { get; set; }

    /// <summary>
    /// Gets a value indicating whether the file was read larger than the share of the storage bound it may take now (a
    /// larger bound before, or an earlier version): the caller saves the session again, which leaves the held attributes out.
    /// </summary>
    public bool LoadedTooLarge { get; private set; }

    /// <summary>
    /// Gets whether the file holds exactly <paramref name="heldCalls"/> held pushes with nothing left to write: every write
    /// scheduled has ended, and the last one (or the read at start) put that many in the file. False while a write is
    /// pending or running, after a failed write, or when the held attributes were left out (too large for the file).
    /// </summary>
    public bool Holds(int heldCalls)
    {
        lock (_gate)
        {
            return !WaitingLocked && _pending is null && _writer.IsCompleted && _heldCallsInFile == heldCalls;
        }
    }

    /// <summary>
    /// Schedules a write of the latest state; returns at once. <paramref name="session"/> must not change afterwards. While
    /// an earlier save waits for its queued messages (see <see cref="Save(StoredSession, Task?)"/>), this one waits too.
    /// </summary>
    public void Save(StoredSession session) => Save(session, after: null);

    /// <summary>Schedules <paramref name="session"/> as the next write; under <see cref="_gate"/>.</summary>
    private void ScheduleLocked(StoredSession session)
    {
        var idle = _pending is null;
        _pending = session;
        if (idle)
        {
            var generation = _generation;
            // Without the caller's context: the write is the store's own work, not that of the call that changed the session.
            var writer = _writer;
            _writer = BackgroundWork.WithoutFlow(() => writer.ContinueWith(_ => WritePending(generation), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default));
        }
    }

    /// <summary>
    /// Deletes the session file (and any temporary file a write left behind) after the writes scheduled before it, and
    /// cancels a write not yet started, so nothing written earlier reappears. Never faults: a failure is logged.
    /// </summary>
    /// <returns>A task that completes when the file is gone (or the failure is logged).</returns>
    public Task DeleteAsync()
    {
        List<TaskCompletionSource<bool>>? voided;
        Task deleted;
        lock (_gate)
        {
            // A write scheduled before the deletion that has not run yet writes nothing: a session saved after the deletion
            // goes in a write of its own, scheduled after it (one scheduled before could write it, only for the deletion to
            // remove it). Saves still waiting for queued messages are voided too.
            _pending = null;
            _generation++;
            voided = VoidWaitingLocked();
            _writer = _writer.ContinueWith(_ => DeleteFiles(), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
            deleted = _writer;
        }

        Complete(voided);
        return deleted;
    }

    /// <summary>
    /// Deletes the temporary files a process killed while writing the session left in the folder, after the writes
    /// scheduled before (so never one of this store's own). For the folder's owner only: no other client writes there.
    /// Never faults.
    /// </summary>
    public void DeleteLeftTemporaries()
    {
        lock (_gate)
        {
            var writer = _writer;
            _writer = BackgroundWork.WithoutFlow(() => writer.ContinueWith(_ => DeleteTemporaries(_directory), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default));
        }
    }

    /// <summary>
    /// Deletes the session's temporary files in <paramref name="directory"/>, for an owner of the folder that writes no
    /// session (or through <see cref="DeleteLeftTemporaries"/>); a file that cannot be deleted stays (it counts against the
    /// storage bound as one temporary copy at most). Never throws.
    /// </summary>
    public static void DeleteTemporaries(string directory)
    {
        try
        {
            foreach (var temp in StorageFiles.TemporaryCopies(directory, FileName))
            {
                StorageFiles.TryDelete(temp);
            }
        }
#pragma warning disable CA1031 // A folder that cannot be listed keeps them: nothing is read from them.
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }

    /// <summary>Gets how many files the latest deletion could neither delete nor empty (0 when it erased everything).</summary>
    public int LastDeleteFailures => Volatile.Read(ref _lastDeleteFailures);

    /// <summary>Completes when every scheduled write is on disk, saves waiting for their queued messages included.</summary>
    public Task FlushAsync()
    {
        var resolved = WhenResolved();
        if (resolved.IsCompleted)
        {
            lock (_gate)
            {
                return _writer;
            }
        }

        // Saves made after this call do not hold it: it waits for those before it, then for the writes scheduled by then.
        return resolved.ContinueWith(
            _ =>
            {
                lock (_gate)
                {
                    return _writer;
                }
            },
            CancellationToken.None,
            TaskContinuationOptions.None,
            TaskScheduler.Default).Unwrap();
    }

    private void WritePending(int generation)
    {
        StoredSession state;
        lock (_gate)
        {
            if (generation != _generation || _pending is not { } pending)
            {
                return;
            }

            if (MayWrite?.Invoke() == false)
            {
                // Another client holds the folder now: the file there is its own. This client saves again once the folder
                // is its own (DurableQueue.FolderTakenAgain).
                _pending = null;
                return;
            }

            state = pending;
            _pending = null;
        }

        try
        {
            BeforeWrite?.Invoke();
            StorageFiles.CreateDirectory(_directory);
            var bytes = Serialize(state, withHeld: true);
            var wouldBe = bytes.Length;
            var leftOut = wouldBe > _maxHeldFileBytes && state.Held.Length > 0;
            if (leftOut)
            {
                bytes = Serialize(state, withHeld: false);
            }

            StorageFiles.WriteAtomically(_path, bytes);
            lock (_gate)
            {
                _heldCallsInFile = leftOut ? 0 : state.HeldCalls;
            }

            if (leftOut && !_heldLeftOut)
            {
                // Once each time a session's held attributes outgrow the file, not at every write.
                Log.HeldAttributesNotPersisted(_logger, wouldBe, _maxHeldFileBytes);
            }

            _heldLeftOut = leftOut;
            if (_failedWrites > 0)
            {
                Log.SessionFileWrittenAgain(_logger, _failedWrites);
                _failedWrites = 0;
            }
        }
#pragma warning disable CA1031 // A full disk or a read-only folder is logged; the session lives on in memory.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            lock (_gate)
            {
                _heldCallsInFile = -1;
            }

            // Once per run of failures (every push before a login changes the session): the write that works again says
            // how many failed.
            if (_failedWrites++ == 0)
            {
                Log.SessionFileNotWritten(_logger, ex.GetType().Name);
            }
        }
    }

    private void DeleteFiles()
    {
        Volatile.Write(ref _lastDeleteFailures, 0);
        try
        {
            if (!Directory.Exists(_directory))
            {
                return;
            }

            var failed = StorageFiles.DeleteAll([_path, .. StorageFiles.TemporaryCopies(_directory, FileName)], out var error);
            Volatile.Write(ref _lastDeleteFailures, failed);
            if (failed == 0)
            {
                lock (_gate)
                {
                    _heldCallsInFile = 0;
                }
            }

            if (failed > 0)
            {
                Log.LocalDataNotDeleted(_logger, failed, error ?? "unknown");
            }
        }
#pragma warning disable CA1031 // A folder that cannot be listed is logged; the session lives on in memory.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Volatile.Write(ref _lastDeleteFailures, 1);
            Log.LocalDataNotDeleted(_logger, 1, ex.GetType().Name);
        }
    }
}
