using GrowlyticsSdk.Diagnostics;
using Microsoft.Extensions.Logging;

namespace GrowlyticsSdk.Storage;

/// <summary>
/// Keeps the stored queue within <see cref="GrowlyticsOptions.MaxStorageBytes"/> and
/// <see cref="GrowlyticsOptions.MaxStorageAge"/> by dropping the oldest segments, counted by reason.
/// </summary>
internal sealed class StorageLimits
{
    /// <summary>Room kept for the folder's other files.</summary>
    public const long ReservedBytes = 16 * 1024;

    // The most a session file holding a REST session's anonymous attributes may take: its part of the bound.
    private const long MostSessionFileBytes = 512 * 1024;

    // The headers of the segments a group commit may start (at most two: one when the last is full, one on the way).
    private const long NewSegmentHeaders = 2 * RecordFormat.SegmentHeaderSize;

    // The least time between two lines (event 4007) for one reason.
    private static readonly TimeSpan ReportInterval = TimeSpan.FromSeconds(10);

    private static readonly string[] OwnFiles = [Sessions.SessionStore.FileName, PrivacyFile.FileName, AckFile.FileName, SettledFile.FileName, StorageFolder.LockFileName];


    private readonly long _maxBytes;
    private readonly string? _directory;
    private readonly TimeSpan _maxAge;
    private readonly TimeProvider _time;

    // How long the wall clock must stay ahead of the steady one before the steady one takes its time (see ExpiredBeforeMs).
    private static readonly TimeSpan WallClockAheadGrace = TimeSpan.FromMinutes(10);

    // The steady clock of ExpiredBeforeMs: the wall clock at _steadyAt (a monotonic timestamp), moved on by the monotonic
    // clock only; and since when the wall clock has been ahead of it (long.MinValue: it is not). Under _steadyGate.
    private readonly object _steadyGate = new();
    private DateTimeOffset _steadyFrom;
    private long _steadyAt;
    private long _wallAheadSince = long.MinValue;
    private readonly DeliveryCounters _counters;
    private readonly ILogger _logger;
    private readonly LogRateLimiter _fullReports;
    private readonly LogRateLimiter _expiredReports;

    // Room kept for the session file and the temporary copy it is rewritten through: with REST a process-wide session's
    // file holds the anonymous attributes pushed before the login (scoped sessions have no file).
    private readonly long _sessionReserve;

    // The most bytes this version writes in each of OwnFiles (in that order): the session file at most its share of the
    // bound (SessionFileCap; a larger one read at start is written again).
    private readonly long[] _ownFileMostBytes;

    public StorageLimits(GrowlyticsOptions options, DeliveryCounters counters, ILogger logger)
    {
        _maxBytes = options.MaxStorageBytes;
        _maxAge = options.MaxStorageAge;
        _time = options.TimeProvider;
        _steadyFrom = _time.GetUtcNow();
        _steadyAt = _time.GetTimestamp();
        _counters = counters;
        _logger = logger;
        _fullReports = new LogRateLimiter(options.TimeProvider, ReportInterval);
        _expiredReports = new LogRateLimiter(options.TimeProvider, ReportInterval);

        // The lock, acknowledgement (position and settled runs), privacy and session files count against the bound too (see Budget).
        _directory = options.StorageDirectory;
        _sessionReserve = options is { Protocol: GrowlyticsProtocol.Rest, SessionMode: SessionMode.ProcessWide } ? 2 * SessionFileCap(_maxBytes) : 0;
        _ownFileMostBytes = [SessionFileCap(_maxBytes), PrivacyFile.MaxFileBytes, AckFile.Size, SettledFile.MostBytes, StorageFolder.MostLockBytes];

        // About sixteen segments: dropping the oldest one gives back a sixteenth of the space, not all of it.
        SegmentBytes = Math.Min(Math.Max(_maxBytes / 16, 4 * 1024), 1024 * 1024);
        MaxFileBytes = SegmentBytes + RecordFormat.RecordHeaderSize + RecordFormat.MaxPayload;
    }

    /// <summary>Gets the size at which the writer starts a new segment file.</summary>
    public long SegmentBytes { get; }

    /// <summary>
    /// Gets the largest record (its header included) the folder can hold within the bound: the most <see cref="Budget"/>
    /// can be, less the headers of the two segments a group commit may start. A message whose record is larger is
    /// delivered from memory, not stored.
    /// </summary>
    public long MaxRecordBytes => Math.Max(_maxBytes - ReservedBytes - _sessionReserve, SegmentBytes) - NewSegmentHeaders;

    /// <summary>
    /// Gets the most bytes the session file may take in a folder bounded by <paramref name="maxStorageBytes"/>: an eighth
    /// of the bound, at most 512 KB. With REST and the process-wide session the queue keeps twice that free for it (the
    /// file and the temporary copy it is rewritten through); a session whose held anonymous attributes would make it
    /// larger keeps them in memory only.
    /// </summary>
    public static long SessionFileCap(long maxStorageBytes) => Math.Min(maxStorageBytes / 8, MostSessionFileBytes);

    /// <summary>Gets the size no segment written by this version exceeds; a larger file is damage.</summary>
    public long MaxFileBytes { get; }

    /// <summary>
    /// Gets the instant (Unix milliseconds) before which a stored message is expired: <see cref="GrowlyticsOptions.MaxStorageAge"/>
    /// before now, or the earliest instant when the clock is nearer than that to the first one (nothing is expired then).
    /// Now is the earlier of the wall clock and a steady one (the wall clock at the start plus the monotonic time since): a
    /// message is expired only when both say so, so a wall clock set forward while the client runs (a bad time server's
    /// answer, for a moment) does not expire messages seconds old; one set back keeps them longer, by the step, as it did
    /// before. A wall clock that stays ahead for <see cref="WallClockAheadGrace"/> (a machine that slept, when the
    /// monotonic clock stands still; a clock corrected forward for good) is taken as right: the steady clock moves to it.
    /// </summary>
    public long ExpiredBeforeMs()
    {
        var wall = _time.GetUtcNow();
        var timestamp = _time.GetTimestamp();
        DateTimeOffset now;
        lock (_steadyGate)
        {
            var steady = Threading.SteadyClock.Advance(_steadyFrom, _time.GetElapsedTime(_steadyAt, timestamp));
            if (wall <= steady)
            {
                _wallAheadSince = long.MinValue;
                now = wall;
            }
            else if (_wallAheadSince == long.MinValue || _time.GetElapsedTime(_wallAheadSince, timestamp) < WallClockAheadGrace)
            {
                if (_wallAheadSince == long.MinValue)
                {
                    _wallAheadSince = timestamp;
                }

                now = steady;
            }
            else
            {
                _steadyFrom = wall;
                _steadyAt = timestamp;
                _wallAheadSince = long.MinValue;
                now = wall;
            }
        }

        return now.UtcTicks - DateTimeOffset.MinValue.UtcTicks <= _maxAge.Ticks
            ? DateTimeOffset.MinValue.ToUnixTimeMilliseconds()
            : (now - _maxAge).ToUnixTimeMilliseconds();
    }

    /// <summary>
    /// Gets the steady clock's time (Unix milliseconds) that <see cref="ExpiredBeforeMs"/> judges by: the wall clock at the
    /// start (or when it was last taken as right) moved on by the monotonic clock only. The writer notes a write holding a
    /// message recorded while the wall clock was set back, which carries that time, with it (<see cref="Segment.NoteBackdatedWrite"/>),
    /// so that message is not expired as soon as the clock is right again: only once its write is as old by this clock too.
    /// </summary>
    public long SteadyNowMs()
    {
        var timestamp = _time.GetTimestamp();
        lock (_steadyGate)
        {
            return Threading.SteadyClock.Advance(_steadyFrom, _time.GetElapsedTime(_steadyAt, timestamp)).ToUnixTimeMilliseconds();
        }
    }

    /// <summary>
    /// Gets the bytes the folder takes without dropping a stored message for <see cref="GrowlyticsOptions.MaxStorageBytes"/>
    /// (segments already settled are removed first, as <see cref="Enforce(SegmentLog, long, List{StoredRecord})"/> does). Under the queue's lock.
    /// </summary>
    public long Room(SegmentLog log)
    {
        log.RemoveSettledSegments();
        return Budget(log) - log.TotalBytes - NewSegmentHeaders;
    }

    /// <summary>
    /// Drops the oldest segments while the folder would exceed <see cref="GrowlyticsOptions.MaxStorageBytes"/> with
    /// <paramref name="incoming"/> more bytes, or their messages are older than <see cref="GrowlyticsOptions.MaxStorageAge"/>;
    /// at all times, records being sent included: those are settled here and returned in <paramref name="settled"/> for
    /// their readers to count (so none is counted both delivered and dropped). Returns the reason of the last drop.
    /// </summary>
    public DropReason Enforce(SegmentLog log, long incoming, List<StoredRecord> settled)
    {
        var last = Enforce(log, incoming, settled, out var drops);
        Count(drops);
        Report(drops);
        return last;
    }

    /// <summary>
    /// As <see cref="Enforce(SegmentLog, long, List{StoredRecord})"/>, but neither counts nor reports what it dropped: the
    /// caller counts <paramref name="drops"/> (<see cref="Count(in StorageDrops)"/>) as it publishes the figures without
    /// them, and reports them (<see cref="Report(in StorageDrops)"/>) outside its lock. Counted here, they were dropped and
    /// still pending while the next segment file was deleted and the application's logger wrote the drop's line.
    /// </summary>
    public DropReason Enforce(SegmentLog log, long incoming, List<StoredRecord> settled, out StorageDrops drops)
    {
        var cutoff = ExpiredBeforeMs();
        var last = DropReason.StorageFull;
        drops = default;

        // Segments already settled go first, though an older record holds the position back: they drop nothing.
        log.RemoveSettledSegments();
        var budget = Budget(log);
        try
        {
            while (log.Oldest is { } oldest)
            {
                DropReason reason;
                if (log.TotalBytes + incoming + NewSegmentHeaders > budget)
                {
                    reason = DropReason.StorageFull;
                }
                else if (oldest.Pending > 0 && oldest.ExpiryMs < cutoff)
                {
                    reason = DropReason.Expired;
                }
                else
                {
                    break;
                }

                var segments = log.SegmentCount;
                var outstandingBefore = settled.Count;
                var dropped = log.DropOldest(settled);

                // The records being read are counted by their readers (their messages' calls), not here.
                for (var i = outstandingBefore; i < settled.Count; i++)
                {
                    dropped -= settled[i].Calls;
                }

                drops.Add(reason, dropped);
                last = reason;
                if (log.SegmentCount >= segments)
                {
                    break;
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Tried again at the next commit.
            Log.StorageFault(_logger, ex);
        }

        return last;
    }

    /// <summary>
    /// Gets the bytes the queue's segments may take: the bound less the SDK's other files in the folder (at least
    /// <see cref="ReservedBytes"/>, as room for them to grow) and less the session file; with REST and the process-wide
    /// session, the session file (which can hold anonymous attributes) counts as twice <see cref="SessionFileCap"/> or its
    /// size, whichever is larger, so it can be rewritten at its largest without the folder passing the bound; less the
    /// segments the log does not hold (a start could not read them, or a newer version wrote them). Each side file and
    /// its temporary copies count at most what this version writes. Files that are not the SDK's are not counted; the
    /// queue always keeps room for one segment.
    /// </summary>
    private long Budget(SegmentLog log)
    {
        long others = 0;
        long session = 0;
        long untracked = 0;
        if (_directory is { Length: > 0 } directory)
        {
            try
            {
                // Each kind of file counts at most what this version writes: one file and one temporary copy, each no
                // larger than it writes them. A larger file is damage (or another program's), which the next write
                // replaces; temporary copies left by a process killed while writing are never read (the loader and the
                // session store delete them). Counted in full, they took the queue's room and dropped its messages.
                var counted = new long[OwnFiles.Length * 2];
                foreach (var file in new DirectoryInfo(directory).EnumerateFiles())
                {
                    var kind = OwnFileKind(file.Name, out var temporary);
                    if (kind >= 0)
                    {
                        var slot = (2 * kind) + (temporary ? 1 : 0);
                        counted[slot] = Math.Min(counted[slot] + LengthOrZero(file), _ownFileMostBytes[kind]);
                    }
                    else if (SegmentLoader.TryParseId(file.Name, out var id) && !log.Tracks(id))
                    {
                        // A segment the queue does not hold: one a start could not read (left for the next start), or
                        // of a newer format (left for its writer), or one found holding no record at start that the
                        // writer has not deleted yet. Still the SDK's, so within the bound.
                        untracked += LengthOrZero(file);
                    }
                }

                for (var kind = 0; kind < OwnFiles.Length; kind++)
                {
                    var bytes = counted[2 * kind] + counted[(2 * kind) + 1];
                    if (OwnFiles[kind] == Sessions.SessionStore.FileName)
                    {
                        session = bytes;
                    }
                    else
                    {
                        others += bytes;
                    }
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // The folder cannot be listed just now: the reserve stands in for the files.
                others = 0;
                session = 0;
                untracked = 0;
            }
        }

        var own = Math.Max(ReservedBytes, others) + Math.Max(session, _sessionReserve) + untracked;
        return Math.Max(_maxBytes - own, SegmentBytes);
    }


    /// <summary>
    /// Gets a listed file's length, or 0 if it is gone: a temporary file renamed over its target while the folder is
    /// listed counts as nothing (the target, listed before or after, stands for it), not as a reason to forget the others.
    /// </summary>
    internal static long LengthOrZero(FileInfo file)
    {
        try
        {
            return file.Length;
        }
        catch (FileNotFoundException)
        {
            return 0;
        }
    }

    /// <summary>
    /// Gets which of <see cref="OwnFiles"/> <paramref name="name"/> is, or the temporary file it is written through;
    /// -1 for any other file.
    /// </summary>
    private static int OwnFileKind(string name, out bool temporary)
    {
        for (var kind = 0; kind < OwnFiles.Length; kind++)
        {
            var own = OwnFiles[kind];
            temporary = name.StartsWith(own + ".", StringComparison.Ordinal) && name.EndsWith(".tmp", StringComparison.Ordinal);
            if (temporary || name == own)
            {
                return kind;
            }
        }

        temporary = false;
        return -1;
    }

    /// <summary>Counts <paramref name="count"/> calls dropped from storage for <paramref name="reason"/>, and reports them.</summary>
    public void CountDropped(DropReason reason, long count)
    {
        Count(reason, count);
        var drops = default(StorageDrops);
        drops.Add(reason, count);
        Report(drops);
    }

    /// <summary>Counts the calls <paramref name="drops"/> holds as dropped, without reporting them (see <see cref="Report(in StorageDrops)"/>).</summary>
    public void Count(in StorageDrops drops)
    {
        Count(DropReason.StorageFull, drops.Full);
        Count(DropReason.Expired, drops.Expired);
    }

    /// <summary>
    /// Logs calls a limit dropped (event 4007), whoever counted them: this class, or the reader of records dropped while
    /// they were on their way. At most one line per reason per interval, each with every call dropped for that reason
    /// since the line before (those a line was not written for included): the lines, and the totals at shutdown for what
    /// came after the last one (event 2015), add up to the figures.
    /// </summary>
    public void Report(in StorageDrops drops)
    {
        Report(_fullReports, DropReason.StorageFull, drops.Full);
        Report(_expiredReports, DropReason.Expired, drops.Expired);
    }

    private void Report(LogRateLimiter reports, DropReason reason, long count)
    {
        if (count > 0 && reports.TryReport(count, out var total))
        {
            Log.StorageDropped(_logger, total, reason);
        }
    }

    private void Count(DropReason reason, long count)
    {
        if (count > 0)
        {
            _counters.AddDroppedInBulk(reason, count);
        }
    }
}
