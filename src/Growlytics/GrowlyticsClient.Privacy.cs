using GrowlyticsSdk.Diagnostics;
using GrowlyticsSdk.Polyfills;
using GrowlyticsSdk.Sessions;
using GrowlyticsSdk.Storage;
using GrowlyticsSdk.Threading;

namespace GrowlyticsSdk;

// The client's privacy controls: a runtime opt-out, and deleting what the SDK keeps locally.
public sealed partial class GrowlyticsClient
{
    // Drops reported on this thread while OptOut holds its lock, raised when it has released it.
    [ThreadStatic]
    private static List<(GrowlyticsClient Client, MessageDroppedEventArgs Args)>? t_deferredDrops;

    private readonly object _privacyGate = new();
    private volatile bool _optedOut;

    /// <summary>
    /// Gets a value indicating whether the user opted out (<see cref="OptOut"/>): nothing is recorded, queued or sent.
    /// </summary>
    /// <value>
    /// <see langword="false"/> by default; <see langword="true"/> after <see cref="OptOut"/>, and at start when the choice
    /// stored in <see cref="GrowlyticsOptions.StorageDirectory"/> says so.
    /// </value>
    public bool IsOptedOut => _optedOut;

    /// <summary>
    /// Turns tracking off at the user's request ("do not track"), until <see cref="OptIn"/>. Thread-safe; calling it again
    /// does nothing.
    /// </summary>
    /// <remarks>
    /// <para>
    /// From the moment it is called, <c>Push</c>, <c>Identify</c>, <c>Logout</c>, <c>Customers.Update</c> and
    /// <c>Customers.UpdateAsync</c> are still validated, then send and hold nothing and are counted as dropped
    /// (<see cref="DropReason.OptedOut"/>) in <see cref="Statistics"/> (a <see cref="GrowlyticsProtocol.Rest"/> logout,
    /// which sends nothing anyway, is not counted). The one session change made then: <c>Logout</c>, or <c>Identify</c> of
    /// another user, ends the identified user's session (see <see cref="GrowlyticsUser"/>), so that no later call reaches
    /// the profile of a user who left meanwhile.
    /// </para>
    /// <para>
    /// What was recorded before and not yet delivered is never sent: messages queued in memory or stored in
    /// <see cref="GrowlyticsOptions.StorageDirectory"/>, and anonymous attributes held for a login
    /// (<see cref="GrowlyticsProtocol.Rest"/>), are dropped in the background within moments and counted as
    /// <see cref="DropReason.OptedOut"/>, so enqueued = delivered + dropped + pending still holds. Requests in flight are
    /// cancelled; one the service had already received may still complete and count as delivered.
    /// </para>
    /// <para>
    /// With <see cref="GrowlyticsOptions.StorageDirectory"/> the choice is saved in <c>privacy.json</c> there (holding
    /// nothing about the user), so a restarted app starts opted out. Opting out does not delete files: the stored queue's
    /// records are settled and the session file keeps the anonymous id and user id; call
    /// <see cref="DeleteLocalDataAsync"/> to delete them.
    /// </para>
    /// </remarks>
    /// <exception cref="ObjectDisposedException">
    /// The client's shutdown has completed: the choice would be neither applied nor saved (its storage folder may belong
    /// to another client by now). Make the call on the client that replaced it. During the shutdown it still applies.
    /// </exception>
    public void OptOut()
    {
        ThrowIfShutDownForPrivacy();

        // Drops reported while the lock is held are raised after it is released: a handler that calls OptIn, or waits for
        // a thread that does, must not run inside the opt-out.
        var deferred = new List<(GrowlyticsClient Client, MessageDroppedEventArgs Args)>();
        var outer = t_deferredDrops;
        t_deferredDrops = deferred;
        try
        {
            lock (_privacyGate)
            {
                if (_optedOut)
                {
                    return;
                }

                ApplyOptOut();
                SaveChoice(optedOut: true);
            }
        }
        finally
        {
            t_deferredDrops = outer;
        }

        Log.OptedOut(_logger);
        foreach (var (client, args) in deferred)
        {
            client.RaiseDropped(args);
        }
    }

    /// <summary>
    /// Turns tracking back on after <see cref="OptOut"/>: calls from now on are recorded and sent. Nothing dropped while
    /// opted out comes back, and the session is as it was when the user opted out, or anonymous (a new anonymous id, no
    /// user id) if its user logged out or another user was identified meanwhile (the one session change calls make while
    /// opted out, see <see cref="OptOut"/>; the other user is not kept): call <see cref="GrowlyticsUser.Identify(string)"/>
    /// or <see cref="GrowlyticsUser.Logout"/> again for the app's current user. With
    /// <see cref="GrowlyticsOptions.StorageDirectory"/> the choice is saved. Thread-safe; calling it when not opted out
    /// does nothing.
    /// </summary>
    /// <remarks>
    /// What was held at the opt-out is dropped in the background even if the user opts back in first; calls recorded
    /// after the opt-in are not part of that drop. Two narrow exceptions remain while that drop has not yet run (moments
    /// after the opt-in; for a client that started opted out, until its storage folder is loaded, which can take a second
    /// or more): with <see cref="GrowlyticsOptions.StorageDirectory"/> set, a call recorded then may still be
    /// dropped, since the storage writer takes calls on its own; and a call the delivery loop had already staged for
    /// sending is dropped with what was held. Such a call is counted as <see cref="DropReason.OptedOut"/>, never lost
    /// silently.
    /// </remarks>
    /// <exception cref="ObjectDisposedException">The client's shutdown has completed (see <see cref="OptOut"/>).</exception>
    public void OptIn()
    {
        ThrowIfShutDownForPrivacy();

        lock (_privacyGate)
        {
            if (!_optedOut)
            {
                return;
            }

            SaveChoice(optedOut: false);
            _heldStore?.OptIn();

            // The engine first, so nothing accepted from here on is dropped by it; then the queue; the calls' own check last,
            // so a call that finds the client opted in finds the queue accepting too. (In the other order, a login made
            // meanwhile changed the session while the queue still refused its message: the user was taken, the login
            // dropped.)
            _dispatcher.OptIn();
            _queue.Accept(DropReason.OptedOut);
            _optedOut = false;
        }

        Log.OptedIn(_logger);
    }

    /// <summary>
    /// Deletes what the SDK keeps locally about users, for a GDPR-style erasure request, and starts the process-wide
    /// session again as a new anonymous visitor. The client stays usable: calls made afterwards are recorded and sent as
    /// usual (unless opted out); calls made while it runs may be dropped with it or sent. Thread-safe. A shutdown that
    /// begins while it runs waits for it (within <see cref="GrowlyticsOptions.ShutdownTimeout"/>); once a shutdown has
    /// begun it throws.
    /// </summary>
    /// <remarks>
    /// <para>Deleted or dropped:</para>
    /// <list type="bullet">
    /// <item>messages queued in memory, staged for sending or being retried, counted as dropped (<see cref="DropReason.OptedOut"/>:
    /// the user's privacy request, like an opt-out), so enqueued = delivered + dropped + pending still holds;</item>
    /// <item>anonymous attributes held for a login (<see cref="GrowlyticsProtocol.Rest"/>), of the process-wide session and of
    /// scoped sessions alike, counted the same way;</item>
    /// <item>with <see cref="GrowlyticsOptions.StorageDirectory"/>: the stored queue (<c>queue-*.seg</c>, <c>queue.ack</c> and <c>queue.settled</c>)
    /// and the session file (<c>session.json</c>);</item>
    /// <item>the process-wide session's anonymous id and user id: it continues with a new anonymous id, nobody logged in
    /// (no logout is sent). It is saved again at its next login or logout.</item>
    /// </list>
    /// <para>
    /// Not deleted: the storage folder itself, <c>queue.lock</c> (this client still holds the folder) and
    /// <c>privacy.json</c> (the user's opt-out choice, which holds nothing about the user). Scoped sessions
    /// (<see cref="BeginScope()"/>) keep their ids and keep working. A request already in flight may complete (the service
    /// may have received it); its retries are cancelled. Data already delivered to Growlytics is not affected: erase it
    /// on the service side.
    /// </para>
    /// <para>
    /// A file that cannot be deleted (a read-only folder) is emptied instead; one that can be neither deleted nor emptied
    /// (held open by another program) is logged (event 7007) and the task still completes.
    /// </para>
    /// </remarks>
    /// <param name="cancellationToken">Stops the wait; the deletion goes on.</param>
    /// <returns>A task that completes when the data is dropped and the files are deleted.</returns>
    /// <exception cref="ObjectDisposedException">The client's shutdown has begun (it waits for no deletion begun after it);
    /// thrown at the call, and nothing is deleted.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled (already before the
    /// call, too): the deletion goes on.</exception>
    public Task DeleteLocalDataAsync(CancellationToken cancellationToken = default)
    {
        var done = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_counters)
        {
            // Checked and registered under the lock ShutdownAsync takes to begin: a shutdown that begins later waits for
            // this deletion (within ShutdownTimeout) before it stops delivery and releases the folder.
            if (IsShutDown)
            {
                throw new ObjectDisposedException(nameof(GrowlyticsClient), "The Growlytics client was shut down; its storage folder is released.");
            }

            _deletions = _deletions.IsCompleted ? done.Task : Task.WhenAll(_deletions, done.Task);
        }

        Task deletion;
        try
        {
            deletion = OutsideDroppedHandler(DeleteLocalDataCoreAsync);
        }
        catch
        {
            done.TrySetResult(true);
            throw;
        }

        _ = deletion.Then(static (_, state) => ((TaskCompletionSource<bool>)state!).TrySetResult(true), done);

        // Cancelled before the call: the task says so even when the deletion has already ended (WaitAsync returns a task
        // that has completed as it is).
        return cancellationToken.IsCancellationRequested
            ? Task.FromCanceled(cancellationToken)
            : TaskCompat.WaitAsync(deletion, cancellationToken);
    }

    /// <summary>Counts a call made while opted out (it changes nothing); returns whether the client is opted out.</summary>
    internal bool CountIfOptedOut()
    {
        if (!_optedOut)
        {
            return false;
        }

        _queue.CountRefused(DropReason.OptedOut, 1);
        return true;
    }

    /// <summary>
    /// For calls that change the session (a login, a logout): counts one that the client refuses (opted out, or shut down
    /// and accepting nothing more) as dropped, and returns whether it did, so that the session stays as it was.
    /// </summary>
    internal bool CountIfRefused()
    {
        if (CountIfOptedOut())
        {
            return true;
        }

        if (!_queue.IsCompleted)
        {
            return false;
        }

        _queue.CountRefused(DropReason.Shutdown, 1);
        return true;
    }

    private void ApplyOptOut()
    {
        // First, so calls made from here on are refused at the call; then what is already held is dropped.
        _optedOut = true;
        _queue.Refuse(DropReason.OptedOut);
        _durable?.OptingOut();
        _heldStore?.DropAll(optOut: true);
        ReportHeldDropped(_processUser?.DropHeldForPrivacy() ?? 0);
        _dispatcher.OptOut();
    }

    private async Task DeleteLocalDataCoreAsync()
    {
        // First, so a process killed before the stored queue's files are deleted deletes them at its next start. On the
        // pool, not the caller's thread: it takes the store's lock, which the writer holds through a slow write, and writes
        // queue.ack under it. Awaited before anything stored is dropped or deleted.
        var mark = _durable is { } durable ? Task.Run(durable.MarkDeleting) : Task.CompletedTask;
        _heldStore?.DropAll(optOut: false);
        var session = Task.CompletedTask;

        // Not the session file of another client that holds the folder made again at this one's path (this client's went
        // with the removed folder).
        var sessionStore = _durable is { HeldByAnother: true } ? null : _sessionStore;
        if (sessionStore is null)
        {
            // Nothing written before the deletion (a save waiting for the stored queue) may be written after it.
            _sessionStore?.Forget();
        }

        if (_processUser is not null)
        {
            ReportHeldDropped(_processUser.StartOver(sessionStore, out session));
        }
        else if (_durable is { HeldByAnother: false } && _options.StorageDirectory is { Length: > 0 } directory)
        {
            // No process-wide session (scoped sessions only), so no store of its own: a session file an earlier run with
            // one left in the folder (its user's ids, held attributes) is deleted all the same, with its temporary copies.
            sessionStore = new SessionStore(directory, _logger);
            session = sessionStore.DeleteAsync();
        }

        await mark.ConfigureAwait(false);

        // The engine first (memory, staged, what it can read from disk), then the files, on the storage writer: a message the
        // writer took meanwhile is written before and deleted with the rest.
        await _dispatcher.DropAllAsync().ConfigureAwait(false);
        if (_durable is not null)
        {
            await _durable.DeleteAllAsync(DropReason.OptedOut).ConfigureAwait(false);
        }

        await session.ConfigureAwait(false);
        if ((sessionStore?.LastDeleteFailures ?? 0) + (_durable?.LastDeleteFailures ?? 0) == 0)
        {
            // Not said when a file could be neither deleted nor emptied: event 7007 says so instead.
            Log.LocalDataDeleted(_logger);
        }
    }

    private void ReportHeldDropped(int calls)
    {
        if (calls > 0)
        {
            Log.HeldAttributesDroppedForPrivacy(_logger, calls, 1);
            RaiseDropped(new MessageDroppedEventArgs(DropReason.OptedOut, calls, null, null, null, null));
        }
    }

    private void ThrowIfShutDownForPrivacy()
    {
        // A stale reference to a client that was replaced must not rewrite the user's choice in a folder the new client
        // may own by now, nor seem to apply it. While the shutdown runs the choice still applies (what is left is dropped).
        if (Volatile.Read(ref _shutdown) is { IsCompleted: true })
        {
            throw new ObjectDisposedException(nameof(GrowlyticsClient), "The Growlytics client was shut down; the privacy choice was neither applied nor saved.");
        }
    }

    private void SaveChoice(bool optedOut)
    {
        // Not once a shutdown has released the folder (it ends with the totals and the last drop reports, which may take a
        // while): another client may own it by then, and its user's saved choice must stand.
        if (_options.StorageDirectory is { Length: > 0 } directory && !(IsShutDown && _durable is { IsOwner: false }))
        {
            PrivacyFile.Write(directory, optedOut, _logger);
        }
    }
}
