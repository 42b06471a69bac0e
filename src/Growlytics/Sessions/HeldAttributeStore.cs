using GrowlyticsSdk.Diagnostics;
using GrowlyticsSdk.Messages;
using GrowlyticsSdk.Threading;
using GrowlyticsSdk.Validation;
using Microsoft.Extensions.Logging;

namespace GrowlyticsSdk.Sessions;

/// <summary>
/// Scoped sessions' anonymous attributes under <see cref="GrowlyticsProtocol.Rest"/>, keyed by anonymous id, kept in this
/// process until the visitor logs in (in a later request that carries the same anonymous id). Bounded: a visitor's
/// attributes expire <see cref="GrowlyticsOptions.AnonymousAttributeRetention"/> after their last activity (sliding), and at
/// most <see cref="GrowlyticsOptions.MaxHeldAnonymousSessions"/> visitors, taking at most
/// <see cref="GrowlyticsOptions.MaxQueueBytes"/> together (estimated as the queue estimates its messages, with the logins
/// remembered for anonymous ids), are held: the least recently active makes room.
/// Whatever expires or makes room is counted, logged without values and reported through
/// <see cref="GrowlyticsClient.MessageDropped"/>. Expiry (of held attributes and of remembered logins) is checked on every
/// access and by a timer that runs eight times per retention period while anything is held or remembered.
/// </summary>
internal sealed partial class HeldAttributeStore : IDisposable
{
    private const int SweepsPerRetention = 8;

    // What a visitor takes beyond its attributes' own estimate (UserAttribute.EstimatedBytes): its entry, list node and
    // dictionary slot, its set (the object, its list and its name index, with their first arrays) and its anonymous id's
    // string header; and per distinct name, the index's slot for it. Most visitors push a few small values, so this is
    // most of what they take: left out, a million visitors took five times MaxQueueBytes.
    private const int VisitorOverhead = 480;
    private const int NameIndexBytes = 64;

    // An index that never held more than this keeps its room (a few KB at most).
    private const int MinimumShrinkPeak = 256;
    private static readonly TimeSpan LogInterval = TimeSpan.FromSeconds(10);

    // Least recently active first: with one sliding window for all, this is also the order in which they expire.
    private readonly LinkedList<Entry> _byActivity = new();
    // Made again, smaller, once most of what it held has gone (see ShrinkIndexesLocked).
    private Dictionary<string, LinkedListNode<Entry>> _byId = new(StringComparer.Ordinal);

    // The most entries each index held since it was last made: a dictionary keeps the room of its peak.
    private int _byIdPeak;
    private readonly object _gate = new();
    private readonly TimeProvider _time;
    private readonly TimeSpan _retention;
    private readonly long _origin;
    private readonly int _maxSessions;
    private readonly long _maxBytes;
    private readonly DeliveryCounters _counters;
    private readonly ILogger _logger;

    // For the lines a visitor's call triggers (events 6001, 6002 and 6005): written off the caller's thread.
    private readonly ILogger _callLogger;
    private readonly Action<MessageDroppedEventArgs> _dropped;
    private readonly Action<DropReason, int> _countRefused;
    private readonly LogRateLimiter _expiredReports;
    private readonly LogRateLimiter _evictedReports;
    private readonly LogRateLimiter _discardedReports;
    private long _unreportedDiscardedCalls;
    private long _unreportedDiscardedSessions;
    private long _unreportedExpiredCalls;
    private long _unreportedExpiredSessions;
    private long _unreportedEvictedCalls;
    private long _unreportedEvictedSessions;
    private ITimer? _sweeper;
    private bool _closed;
    private bool _optedOut;
    private volatile int _count;
    private long _bytes;

    // countRefused counts (and logs, as the queue does its own) a push refused at the call: after shutdown, or opted out.
    // callLogger writes the lines a call triggers off the caller's thread (see OffCallerLogger).
    public HeldAttributeStore(GrowlyticsOptions options, DeliveryCounters counters, ILogger logger, ILogger callLogger, Action<MessageDroppedEventArgs> dropped, Action<DropReason, int> countRefused)
    {
        _callLogger = callLogger;
        _countRefused = countRefused;
        _time = options.TimeProvider;
        _origin = _time.GetTimestamp();
        _retention = options.AnonymousAttributeRetention;
        _maxSessions = options.MaxHeldAnonymousSessions;
        _maxBytes = options.MaxQueueBytes;
        _counters = counters;
        _logger = logger;
        _dropped = dropped;
        _expiredReports = new LogRateLimiter(_time, LogInterval);
        _evictedReports = new LogRateLimiter(_time, LogInterval);
        _discardedReports = new LogRateLimiter(_time, LogInterval);
    }

    /// <summary>Gets the number of visitors whose attributes are held.</summary>
    public int Count => _count;

    /// <summary>Gets the number of anonymous ids whose last login is remembered (for tests).</summary>
    internal int RememberedLogins => _loginCount;

    /// <summary>Gets the slots the two indexes (held visitors, remembered logins) have room for (for tests).</summary>
    internal int IndexSlots
    {
        get
        {
            lock (_gate)
            {
#if NET
                return _byId.EnsureCapacity(0) + _logins.EnsureCapacity(0);
#else
                return _byId.Count + _logins.Count;
#endif
            }
        }
    }

    /// <summary>Gets the estimate of what the store holds, bounded by <see cref="GrowlyticsOptions.MaxQueueBytes"/> (for tests).</summary>
    internal long EstimatedBytes
    {
        get
        {
            lock (_gate)
            {
                return _bytes;
            }
        }
    }

    /// <summary>
    /// Holds one push for <paramref name="anonymousId"/>; counts it as held (accepted, pending). After <see cref="Close"/>
    /// the push is counted as dropped at shutdown instead.
    /// </summary>
    /// <returns>The validation error when the visitor would hold more than <see cref="AttributeLimits.MaxAttributes"/> names; nothing changed then.</returns>
    public GrowlyticsValidationException? Hold(string anonymousId, UserAttribute[] attributes, AttributeLimits limits)
    {
        Drops drops = default;
        DropReason? refused = null;
        try
        {
            lock (_gate)
            {
                var now = Now();
                drops.Expired = RemoveExpiredLocked(now);
                if (_closed || _optedOut)
                {
                    refused = _closed ? DropReason.Shutdown : DropReason.OptedOut;
                    return null;
                }

                _byId.TryGetValue(anonymousId, out var node);
                if (node is not null)
                {
                    var after = node.Value.Held.CountAfterMerge(attributes);
                    if (after > limits.MaxAttributes)
                    {
                        // Refused: no activity either (the login this id made is not kept remembered by it).
                        return ValidationErrors.TooManyHeldAttributes(limits, after);
                    }
                }

                // Accepted: activity of the visitor, which keeps what its id logged in as for as long as what it holds.
                TouchLoginLocked(anonymousId, now);
                if (node is not null)
                {
                    var before = BytesOf(node.Value);
                    node.Value.Held.Merge(attributes);
                    _bytes += BytesOf(node.Value) - before;
                    TouchLocked(node, now);
                }
                else
                {
                    if (_byId.Count >= _maxSessions)
                    {
                        drops.Evicted = RemoveLocked(_byActivity.First!, DropReason.AnonymousExpired);
                    }

                    var entry = new Entry(anonymousId, new HeldAttributes(), now);
                    entry.Held.Merge(attributes);
                    _byId[anonymousId] = _byActivity.AddLast(entry);
                    _count = _byId.Count;
                    _byIdPeak = Math.Max(_byIdPeak, _count);
                    _bytes += BytesOf(entry);
                    StartSweepingLocked();
                }

                // Memory, too, is bounded: less recently active visitors (their attributes, or the logins remembered
                // for them) make room for this one's attributes (which stay, at most 100 of them, even if they alone came
                // to more).
                drops.Evicted.Add(MakeRoomLocked(_byActivity.Last, _logins.TryGetValue(anonymousId, out var login) ? login : null));

                _counters.AddHeld(1);
                return null;
            }
        }
        finally
        {
            // Counted out of the lock: a refusal may be logged.
            if (refused is { } reason)
            {
                _countRefused(reason, 1);
            }

            Report(drops);
        }
    }

    /// <summary>
    /// Takes (removes) the attributes held for <paramref name="anonymousId"/>, for its login as <paramref name="userId"/>;
    /// null when there are none. If that id logged in as another user since they were held (within the window), they are
    /// that login's, not this one's: dropped (<see cref="DropReason.AnonymousExpired"/>), and null is returned.
    /// </summary>
    public HeldAttributes? Take(string anonymousId, string userId)
    {
        Drops drops = default;
        try
        {
            lock (_gate)
            {
                var now = Now();
                drops.Expired = RemoveExpiredLocked(now);
                var previous = RememberLoginLocked(anonymousId, userId, now, ref drops.Evicted);
                HeldAttributes? taken = null;
                if (_byId.TryGetValue(anonymousId, out var node))
                {
                    if (previous is not null && !string.Equals(previous, userId, StringComparison.Ordinal))
                    {
                        drops.Discarded.Add(RemoveLocked(node, DropReason.AnonymousExpired));
                    }
                    else
                    {
                        _byId.Remove(anonymousId);
                        _byActivity.Remove(node);
                        _count = _byId.Count;
                        _bytes -= BytesOf(node.Value);
                        taken = node.Value.Held;
                    }
                }

                // Room for the login is made once what it takes has left the store: the bytes it frees count first.
                drops.Evicted.Add(MakeRoomLocked(null, _loginsByActivity.Last));
                return taken;
            }
        }
        finally
        {
            Report(drops);
        }
    }

    /// <summary>
    /// Drops what is held for <paramref name="anonymousId"/>: its session logged out, so it will never meet a login (the
    /// next login on that browser may be another user's). Counted like an expiry (<see cref="DropReason.AnonymousExpired"/>).
    /// The login it made stays remembered for its window (see <see cref="TouchLoginLocked"/>).
    /// </summary>
    public void Discard(string anonymousId)
    {
        Drops drops = default;
        try
        {
            lock (_gate)
            {
                // The login this id made stays remembered for its window: a client that did not see the rotated id may go
                // on pushing under it, and another user's login with it must not receive those pushes.
                var now = Now();
                drops.Expired = RemoveExpiredLocked(now);
                TouchLoginLocked(anonymousId, now);
                if (_byId.TryGetValue(anonymousId, out var node))
                {
                    drops.Discarded.Add(RemoveLocked(node, DropReason.AnonymousExpired));
                }
            }
        }
        finally
        {
            Report(drops);
        }
    }

    /// <summary>Records activity of a visitor (a request that carries its anonymous id): its window starts again.</summary>
    public void Touch(string anonymousId)
    {
        if (_count == 0 && _loginCount == 0)
        {
            return;
        }

        Drops drops = default;
        try
        {
            lock (_gate)
            {
                var now = Now();
                drops.Expired = RemoveExpiredLocked(now);
                TouchLoginLocked(anonymousId, now);
                if (_byId.TryGetValue(anonymousId, out var node))
                {
                    TouchLocked(node, now);
                }
            }
        }
        finally
        {
            Report(drops);
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _sweeper?.Dispose();
            _sweeper = null;
        }
    }

    // Swept eight times per retention: a visitor's attributes, and the login an id made, outlive their window by an eighth
    // at most when no call comes (swept once per retention, an idle process kept them for up to twice as long). Started by
    // the first visitor held or login remembered; stopped by a sweep that leaves nothing (see Sweep).
    private void StartSweepingLocked()
    {
        if (_sweeper is null && !_closed)
        {
            var every = TimeSpan.FromTicks(_retention.Ticks / SweepsPerRetention);

            // On the system's timer if the app's clock throws as it is made: thrown into the caller's Push, the fault left
            // the visitor's push held but not counted.
            _sweeper = BackgroundWork.CreateTimerOrSystem(_time, static state => ((HeldAttributeStore)state!).Sweep(), this, every, every);
        }
    }

    /// <summary>
    /// Makes an index again at its size once it holds at most a quarter of its peak: a dictionary never gives back the room
    /// it grew to, so after a burst of visitors (or logins) the arrays of its peak stayed for the life of the process,
    /// outside <see cref="GrowlyticsOptions.MaxQueueBytes"/>, while the store held nothing. Called by the sweep and when
    /// everything is dropped, so the cost (one copy of what is left) comes at most once per shrinking by four.
    /// </summary>
    private void ShrinkIndexesLocked()
    {
        if (_byIdPeak >= MinimumShrinkPeak && _byId.Count <= _byIdPeak / 4)
        {
            _byId = new Dictionary<string, LinkedListNode<Entry>>(_byId, StringComparer.Ordinal);
            _byIdPeak = _byId.Count;
        }

        if (_loginsPeak >= MinimumShrinkPeak && _logins.Count <= _loginsPeak / 4)
        {
            _logins = new Dictionary<string, LinkedListNode<Login>>(_logins, StringComparer.Ordinal);
            _loginsPeak = _logins.Count;
        }
    }

    // Activity is measured on the monotonic clock (in TimeSpan ticks since the store began): a system clock set back or
    // forward neither keeps attributes past their retention nor expires them early, and the list stays in time order.
    private long Now() => _time.GetElapsedTime(_origin).Ticks;

    private void TouchLocked(LinkedListNode<Entry> node, long now)
    {
        node.Value.LastActive = now;
        _byActivity.Remove(node);
        _byActivity.AddLast(node);
    }

    private static long BytesOf(Entry entry) =>
        VisitorOverhead + (2L * entry.AnonymousId.Length) + entry.Held.EstimatedBytes + ((long)entry.Held.Count * NameIndexBytes);

    private Tally RemoveExpiredLocked(long now)
    {
        Tally expired = default;
        var cutoff = now - _retention.Ticks;
        while (_byActivity.First is { } oldest && oldest.Value.LastActive <= cutoff)
        {
            expired.Add(RemoveLocked(oldest, DropReason.AnonymousExpired));
        }

        return expired;
    }

    private Tally RemoveLocked(LinkedListNode<Entry> node, DropReason reason)
    {
        _byActivity.Remove(node);
        _byId.Remove(node.Value.AnonymousId);
        _count = _byId.Count;
        _bytes -= BytesOf(node.Value);
        var calls = node.Value.Held.Calls;
        _counters.DropHeld(calls, reason);
        return new Tally { Calls = calls, Sessions = 1 };
    }
}
