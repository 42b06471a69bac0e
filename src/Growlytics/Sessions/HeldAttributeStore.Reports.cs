using GrowlyticsSdk.Diagnostics;
using Microsoft.Extensions.Logging;

namespace GrowlyticsSdk.Sessions;

/// <summary>
/// The store's entries, and how held attributes that expire, make room or are dropped are reported: counted in calls and
/// sessions, one event per drop, one log line per interval.
/// </summary>
internal sealed partial class HeldAttributeStore
{
    // Outside the lock: a logger or an event handler must not hold up other visitors' calls. Each cause has a line of its
    // own, so a logout is not reported as inactivity.
    private void Report(Drops drops)
    {
        // What expired is no drop of the call that found it (the sweep would have found it as well): reported also when
        // that call is a MessageDropped handler's (see BulkDropReports).
        Report(drops.Expired, ref _unreportedExpiredCalls, ref _unreportedExpiredSessions, _expiredReports, Log.HeldAttributesExpired, ofTheCall: false);
        Report(drops.Evicted, ref _unreportedEvictedCalls, ref _unreportedEvictedSessions, _evictedReports, Log.HeldAttributesEvicted);
        Report(drops.Discarded, ref _unreportedDiscardedCalls, ref _unreportedDiscardedSessions, _discardedReports, Log.HeldAttributesDiscarded);
    }

    private void RaiseDropped(DropReason reason, long calls, bool ofTheCall = true)
    {
        if (reason == DropReason.OptedOut)
        {
            // A privacy request's drop: reported on the thread that made it, outside the locks (a handler may opt back in).
            _dropped(new MessageDroppedEventArgs(reason, (int)Math.Min(int.MaxValue, calls), null, null, null, null));
            return;
        }

        // Expired or evicted by a visitor's push, or dropped at shutdown: reported on a pool thread, never inside a call.
        if (ofTheCall)
        {
            _counters.BulkReports?.Add(reason, calls);
        }
        else
        {
            _counters.BulkReports?.AddOthers(reason, calls);
        }
    }

    // One event per drop; one log line per interval with the calls and sessions counted since the last one.
    private void Report(Tally tally, ref long unreportedCalls, ref long unreportedSessions, LogRateLimiter reports, Action<ILogger, long, long> log, bool ofTheCall = true)
    {
        if (tally.Calls <= 0)
        {
            return;
        }

        RaiseDropped(DropReason.AnonymousExpired, tally.Calls, ofTheCall);
        Interlocked.Add(ref unreportedCalls, tally.Calls);
        Interlocked.Add(ref unreportedSessions, tally.Sessions);
        if (reports.TryReport(out _))
        {
            // Usually triggered by a visitor's call (expired on access, evicted by a push, a logout, a login): written off
            // its thread, as every warning a call triggers.
            log(_callLogger, Interlocked.Exchange(ref unreportedCalls, 0), Interlocked.Exchange(ref unreportedSessions, 0));
        }
    }

    private sealed class Entry
    {
        public Entry(string anonymousId, HeldAttributes held, long lastActive)
        {
            AnonymousId = anonymousId;
            Held = held;
            LastActive = lastActive;
        }

        public string AnonymousId { get; }

        public HeldAttributes Held { get; }

        public long LastActive { get; set; }
    }

    private struct Tally
    {
        public long Calls;
        public long Sessions;

        public void Add(Tally other)
        {
            Calls += other.Calls;
            Sessions += other.Sessions;
        }
    }

    private struct Drops
    {
        public Tally Expired;
        public Tally Evicted;

        // Dropped at a logout, or at a login of another user with an id that had logged in as someone else since.
        public Tally Discarded;
    }
}
