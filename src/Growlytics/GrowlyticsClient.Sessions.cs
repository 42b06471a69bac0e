using System.Diagnostics.CodeAnalysis;
using GrowlyticsSdk.Diagnostics;
using GrowlyticsSdk.Messages;
using GrowlyticsSdk.Sessions;

namespace GrowlyticsSdk;

// The client's sessions: scopes per request or job, the ids they accept, and the process-wide session's file.
public sealed partial class GrowlyticsClient
{
    /// <summary>
    /// Gives the current async flow (and work it starts) a user session of its own, with a fresh anonymous id.
    /// Dispose the returned object to return to the previous session. Use one scope per request, job or conversation.
    /// Scopes are meant to be disposed innermost first; disposing an outer scope while an inner one is open leaves the
    /// inner one current, and disposing the inner one then returns to the nearest enclosing scope still open (or the
    /// process-wide session).
    /// </summary>
    /// <returns>The scope; dispose it when the flow ends.</returns>
    public IDisposable BeginScope() => new UserScope(_scope, new GrowlyticsUser(this, AnonymousIds.New(), null));

    /// <summary>
    /// Gives the current async flow a user session that continues a known one: an anonymous id kept by the app
    /// (a cookie, a header) and, optionally, a user who is already logged in (an authenticated request). No login or
    /// logout is sent; <see cref="GrowlyticsUser.Push(IReadOnlyDictionary{string, object})"/> then updates that user. With
    /// <see cref="GrowlyticsProtocol.Rest"/>, a scope that continues <paramref name="anonymousId"/> as
    /// <paramref name="userId"/> is that visitor's login: what the visitor pushed while anonymous (held for the login) is
    /// queued as one upsert for the user, as <see cref="GrowlyticsUser.Identify(string)"/> sends it.
    /// </summary>
    /// <param name="anonymousId">The anonymous id to continue (1 to 64 URL-safe characters: letters, digits, '-' and '_'), or <see langword="null"/> for a new one.</param>
    /// <param name="userId">The logged-in user's id (at most 40 characters), or <see langword="null"/> when anonymous.</param>
    /// <returns>The scope; dispose it when the flow ends.</returns>
    /// <exception cref="ArgumentException"><paramref name="anonymousId"/> is not URL-safe or too long.</exception>
    /// <exception cref="GrowlyticsValidationException"><paramref name="userId"/> is blank, longer than 40 characters, or not valid UTF-16 text (an unpaired surrogate).</exception>
    public IDisposable BeginScope(string? anonymousId, string? userId = null)
    {
        if (anonymousId is not null && !AnonymousIds.IsValid(anonymousId))
        {
            throw new ArgumentException("The anonymous id must have 1 to 64 URL-safe characters (letters, digits, '-' and '_').", nameof(anonymousId));
        }

        if (userId is not null)
        {
            Validation.UserIds.ThrowIfInvalid(userId);
        }

        var user = new GrowlyticsUser(this, anonymousId ?? AnonymousIds.New(), userId);
        var scope = new UserScope(_scope, user);
        if (anonymousId is not null)
        {
            // REST: a known visitor's request is activity, and one that starts identified is that visitor's login.
            user.ContinueScope();
        }
        else if (userId is not null)
        {
            // REST: the fresh id is the one the app keeps for this visitor (the middleware's cookie): remember its login,
            // so pushes later made under it unauthenticated do not reach another user's login. Nothing is held for it.
            _heldStore?.Take(user.AnonymousId, userId);
        }

        return scope;
    }

    /// <summary>
    /// Returns whether <paramref name="anonymousId"/> is a well-formed anonymous id that
    /// <see cref="BeginScope(string, string)"/> accepts: 1 to 64 URL-safe characters (letters, digits, '-' and '_').
    /// Use it on ids from outside the app's control (a cookie, a header) and start a new session for anything else.
    /// </summary>
    /// <param name="anonymousId">The candidate id.</param>
    /// <returns><see langword="true"/> when the id is well-formed; <see langword="false"/> for <see langword="null"/> or anything else.</returns>
    public static bool IsValidAnonymousId([NotNullWhen(true)] string? anonymousId) => AnonymousIds.IsValid(anonymousId);

    /// <summary>
    /// Returns whether <paramref name="userId"/> is a user id that <see cref="BeginScope(string, string)"/> and
    /// <see cref="GrowlyticsUser"/> accept: a non-blank string of at most 40 characters that is valid UTF-16 text (no
    /// unpaired surrogate). Never throws.
    /// </summary>
    /// <param name="userId">The candidate id.</param>
    /// <returns><see langword="true"/> when the id is valid; <see langword="false"/> for <see langword="null"/> or anything else.</returns>
    public static bool IsValidUserId([NotNullWhen(true)] string? userId) => Validation.UserIds.GetError(userId) is null;

    /// <summary>
    /// Persists the process-wide session (when storage is on) after a login, logout or new start; while opted out only
    /// when <paramref name="evenIfOptedOut"/> (held attributes dropped at the user's request must leave the file too, and a
    /// login or logout accepted before an opt-out that began meanwhile must reach it).
    /// With <paramref name="afterQueued"/> (a login or logout, which queued messages) and the disk as the buffer, the file
    /// is written once those messages are stored (see <see cref="SessionStore.Save(StoredSession, Task?)"/>).
    /// Without <paramref name="reportNotSaved"/> (a new session at the start, which the app did not make), a change kept in
    /// memory while another client holds the folder is not logged: event 3005 stays for the app's first login, logout or push.
    /// </summary>
    internal void OnSessionChanged(GrowlyticsUser user, bool evenIfOptedOut = false, bool afterQueued = false, bool reportNotSaved = true)
    {
        CountSessionChange(user);

        // One writer per folder: a client waiting to take the folder over keeps its session in memory meanwhile, as does one
        // whose folder was removed and made again by another client, which holds it.
        if (_sessionStore is null || !ReferenceEquals(user, _processUser) || (!evenIfOptedOut && _optedOut))
        {
            return;
        }

        if (WritesSessionFile)
        {
            // (Asked under the session's lock, after the messages were queued: the flush covers them. It does no I/O.)
            _sessionStore.Save(user.ToStoredSession(), afterQueued && _durable is { IsBuffer: true } durable ? durable.FlushAsync(CancellationToken.None) : null);
        }
        else if (reportNotSaved && _durable is not { Unusable: true } && Interlocked.Exchange(ref _sessionNotSavedReported, 1) == 0)
        {
            // Once per client: the change (a logout, say) lives in memory only until this client takes the folder over. (A
            // folder unusable for a reason of its own was reported at start: nothing will take it over.)
            Log.SessionNotSavedFolderHeld(_callLogger);
        }
    }

    /// <summary>
    /// Gets a value indicating whether this client writes the session file now: it holds the storage folder (not waiting
    /// to take it over, and no other client made it again at its path and holds it).
    /// </summary>
    private bool WritesSessionFile => _durable is not { IsOwner: false } and not { HeldByAnother: true };

    /// <summary>
    /// Counts a change of the process-wide session (a save, or a deletion's fresh start, for which nothing is saved); a
    /// client that takes its folder over continues the file's session only if there was none since its start.
    /// </summary>
    internal void CountSessionChange(GrowlyticsUser user)
    {
        if (ReferenceEquals(user, _processUser))
        {
            Interlocked.Increment(ref _processSessionChanges);
        }
    }

    internal void OnIdentifyWithoutLogout()
    {
        if (_identifyReports.TryReport(out var count))
        {
            Log.IdentifyWithoutLogout(_callLogger, count);
        }
    }

    // REST: the process-wide session's held attributes, restored from the session file (pending again, and counted
    // restored: accepted by a previous run). Batch, in a folder a REST run left them in: queued as the anonymous update
    // they were (Batch has one), counted restored; the caller saves the session without them (queuedHeld), so a later
    // start does not send them again.
    private HeldAttributes? RestoreHeld(StoredSession? stored, out bool queuedHeld)
    {
        queuedHeld = false;
        if (_options.Protocol != GrowlyticsProtocol.Rest)
        {
            queuedHeld = QueueRestoredHeld(stored);
            _heldQueuedAtStart = queuedHeld ? stored : null;
            return null;
        }

        if (stored is not { UserId: null, HeldCalls: > 0 })
        {
            return new HeldAttributes();
        }

        _counters.AddHeldRestored(stored.HeldCalls);
        return new HeldAttributes(stored.Held, stored.HeldCalls);
    }

    /// <summary>
    /// Batch, in a folder a REST run left held pushes in: queues them as the anonymous update they were, counted restored.
    /// Returns whether it did (the caller then saves the session without them).
    /// </summary>
    internal bool QueueRestoredHeld(StoredSession? stored) => QueueRestoredHeld(stored, alreadyQueued: 0);

    /// <summary>
    /// Batch, taking the folder over with the session unchanged since the start: queues the held pushes the file holds now,
    /// except those this client queued at its start from the same anonymous session (the file read then held them, and
    /// the REST holder kept them there: queued again, they were sent twice and counted restored twice). The values are
    /// sent as the file holds them (merged with any pushed since), counted as the pushes not queued yet. Returns whether
    /// the file held pushes for the login (the caller then saves the session without them).
    /// </summary>
    internal bool QueueRestoredHeldAtTakeOver(StoredSession stored)
    {
        var atStart = Interlocked.Exchange(ref _heldQueuedAtStart, null);
        if (stored is not { UserId: null, HeldCalls: > 0 })
        {
            return false;
        }

        var already = atStart is not null && string.Equals(atStart.AnonymousId, stored.AnonymousId, StringComparison.Ordinal)
            ? Math.Min(atStart.HeldCalls, stored.HeldCalls)
            : 0;
        QueueRestoredHeld(stored, already);
        return true;
    }

    private bool QueueRestoredHeld(StoredSession? stored, int alreadyQueued)
    {
        if (stored is not { UserId: null, HeldCalls: > 0 } || stored.HeldCalls <= alreadyQueued)
        {
            return false;
        }

        var calls = stored.HeldCalls - alreadyQueued;
        _counters.AddRestored(calls);
        var message = new UserMessage(MessageType.Update, MessageIds.Next(), _options.TimeProvider.GetUtcNow(), stored.AnonymousId, null, stored.Held, calls);
        _queue.Enqueue(message, counted: calls);
        return true;
    }
}
