using GrowlyticsSdk.Messages;
using GrowlyticsSdk.Sessions;
using GrowlyticsSdk.Validation;

namespace GrowlyticsSdk;

// The session's side of GrowlyticsProtocol.Rest, which has no anonymous profiles: pushes held for the login, sent with
// it as one upsert, dropped at the user's privacy request or at shutdown; and the session as its file keeps it.
public sealed partial class GrowlyticsUser
{
    /// <summary>
    /// REST, a scope that continues a visitor: starting identified, it is the login of the anonymous id it carries (what
    /// that visitor pushed while anonymous is sent as an upsert for the user); starting anonymous, it is activity that
    /// keeps the visitor's held attributes from expiring.
    /// </summary>
    internal void ContinueScope()
    {
        _continued = true;
        if (_client.HeldStore is not { } store)
        {
            return;
        }

        lock (_gate)
        {
            if (_userId is null)
            {
                store.Touch(_anonymousId);
            }
            else if (store.Take(_anonymousId, _userId) is { } held)
            {
                UpsertMessages.Enqueue(_client, _anonymousId, _userId, held.ToArray(), held.Calls, held.Calls);
            }
        }
    }

    /// <summary>
    /// The client took its storage folder over: saves the session as it is now, in order with concurrent changes; or, if
    /// it has not changed since the client started (<paramref name="unchangedSinceStart"/>), continues the session the file
    /// holds now. The previous owner may have saved a login, or pushes held for one (which its shutdown then left pending,
    /// for the file), after this client read the file at its start: written over, they were lost. Pushes this client
    /// restored from the file at its start (REST) are the previous owner's too: the file's held pushes replace them (those
    /// its login sent, or that its session no longer holds, are counted <see cref="DropReason.AnonymousExpired"/> here:
    /// they never meet a login of this client), so a login the previous owner saved is not written over with them. A file
    /// that cannot be read (damaged from outside) is written over with the session this client has (event 3006).
    /// </summary>
    internal void SaveOrContinueSession(SessionStore? store, Func<bool> unchangedSinceStart)
    {
        lock (_gate)
        {
            var unchanged = unchangedSinceStart();
            if (store is not null && !_client.IsOptedOut && unchanged && store.Load(takingOver: true) is { } stored)
            {
                var sameAnonymousSession = _userId is null && stored.UserId is null && string.Equals(_anonymousId, stored.AnonymousId, StringComparison.Ordinal);
                Volatile.Write(ref _anonymousId, stored.AnonymousId);
                Volatile.Write(ref _userId, stored.UserId);
                if (_processHeld is not null)
                {
                    // Unchanged since the start: what this session holds is what it restored from the file then.
                    var restored = _processHeld.Calls;
                    var theirs = stored is { UserId: null, HeldCalls: > 0 } ? stored.HeldCalls : 0;
                    var kept = sameAnonymousSession ? Math.Min(restored, theirs) : 0;
                    if (restored > kept)
                    {
                        _client.Counters.DropHeldInBulk(restored - kept, DropReason.AnonymousExpired);
                    }

                    if (theirs > kept)
                    {
                        // Pending again, as at a start that restores them.
                        _client.Counters.AddHeldRestored(theirs - kept);
                    }

                    _processHeld = theirs > 0 ? new HeldAttributes(stored.Held, theirs) : new HeldAttributes();
                }
                else if (_client.QueueRestoredHeldAtTakeOver(stored))
                {
                    // Batch: the holder (a REST run) left pushes held for a login; queued as the anonymous update they
                    // were (those not queued at this client's start already), and the session saved without them once
                    // they are stored (as at a start that finds them).
                    _client.OnSessionChanged(this, afterQueued: true);
                }

                return;
            }

            // Opted out, too, once the session changed since the start (a logout or login made before the opt-out, a session
            // ended while opted out): kept in memory while the folder was held, it would otherwise never reach the file, and
            // the next start brought back the user who had logged out. A session unchanged since an opted-out start is not
            // written (nothing is recorded then, not even a new session).
            _client.OnSessionChanged(this, evenIfOptedOut: !unchanged);
        }
    }

    /// <summary>Gets the session as the session file keeps it; called under the session's lock.</summary>
    internal StoredSession ToStoredSession() =>
        new(_anonymousId, _userId, _processHeld?.ToArray() ?? [], _processHeld?.Calls ?? 0);

    /// <summary>
    /// At the user's privacy request (REST, process-wide session): drops the pushes held for the login, counted as
    /// <see cref="DropReason.OptedOut"/>, and saves the session without them. Returns how many were dropped.
    /// </summary>
    internal int DropHeldForPrivacy()
    {
        lock (_gate)
        {
            return DropHeldLocked();
        }
    }

    /// <summary>
    /// Local data deleted: the session starts again, anonymous with a new id and nothing held (dropped as
    /// <see cref="DropReason.OptedOut"/>). Nothing is sent and nothing saved; the session file, if any, is deleted, under the
    /// session's lock, so a login or push right after is saved after the deletion. Returns how many held pushes were dropped.
    /// </summary>
    internal int StartOver(SessionStore? store, out Task fileDeleted)
    {
        lock (_gate)
        {
            var dropped = DropHeldLocked(save: false);
            Volatile.Write(ref _userId, null);
            Volatile.Write(ref _anonymousId, AnonymousIds.New());
            fileDeleted = store?.DeleteAsync() ?? Task.CompletedTask;

            // A change, though nothing is saved: a client that takes its folder over later must not continue the session
            // the file held before (another client may write it again meanwhile).
            _client.CountSessionChange(this);
            return dropped;
        }
    }

    /// <summary>
    /// At shutdown, REST, process-wide session: held pushes stay pending when the session file holds them all; otherwise
    /// (no storage, a file too small for them, a write that failed or is still running) they will never meet a login, are
    /// counted as dropped, and the session is saved without them, so a later start cannot bring them back.
    /// </summary>
    /// <param name="persisted">Whether the session file holds this many held pushes, with nothing left to write.</param>
    /// <returns>How many held calls were dropped (the caller logs them).</returns>
    internal int CloseHeld(Func<int, bool> persisted)
    {
        lock (_gate)
        {
            if (_processHeld is { Calls: > 0 } held && !persisted(held.Calls))
            {
                _client.Counters.DropHeldInBulk(held.Calls, DropReason.Shutdown);
                _processHeld = new HeldAttributes();
                _client.OnSessionChanged(this, evenIfOptedOut: true);
                return held.Calls;
            }

            return 0;
        }
    }

    private int DropHeldLocked(bool save = true)
    {
        if (_processHeld is not { Calls: > 0 } held)
        {
            return 0;
        }

        _client.Counters.DropHeld(held.Calls, DropReason.OptedOut);
        _processHeld = new HeldAttributes();
        if (save)
        {
            _client.OnSessionChanged(this, evenIfOptedOut: true);
        }

        return held.Calls;
    }

    private void HoldLocked(UserAttribute[] attributes)
    {
        GrowlyticsValidationException? error = null;
        if (_processHeld is { } held)
        {
            var limits = _client.AttributeLimits;
            var after = held.CountAfterMerge(attributes);
            if (after > limits.MaxAttributes)
            {
                error = ValidationErrors.TooManyHeldAttributes(limits, after);
            }
            else if (_client.IsShutDown)
            {
                _client.Queue.CountRefused(DropReason.Shutdown, 1);
            }
            else
            {
                held.Merge(attributes);
                _client.Counters.AddHeld(1);
                _client.OnSessionChanged(this);
            }
        }
        else
        {
            error = _client.HeldStore!.Hold(_anonymousId, attributes, _client.AttributeLimits);
        }

        if (error is not null && !_client.TryDropInvalidInput(error))
        {
            throw error;
        }
    }

    private void SendHeldWithLoginLocked(string userId, UserAttribute[] attributes)
    {
        HeldAttributes? held;
        if (_processHeld is not null)
        {
            held = _processHeld;
            _processHeld = new HeldAttributes();
        }
        else
        {
            held = _client.HeldStore?.Take(_anonymousId, userId);
        }

        var merged = held is { Count: > 0 } ? held.MergedWith(attributes) : attributes;
        if (merged.Length == 0)
        {
            // Nothing to say: an upsert without attributes is not sent.
            return;
        }

        var heldCalls = held?.Calls ?? 0;
        UpsertMessages.Enqueue(_client, _anonymousId, userId, merged, 1 + heldCalls, heldCalls);
    }
}
