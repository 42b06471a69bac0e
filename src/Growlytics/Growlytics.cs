namespace GrowlyticsSdk;

/// <summary>
/// The static entry point, shaped like Growlytics' browser SDK:
/// <c>Growlytics.User.Push(...)</c>, <c>Growlytics.User.Identify(...)</c>, <c>Growlytics.User.Logout()</c>.
/// It delegates to one <see cref="GrowlyticsClient"/>, set by <see cref="Initialize(GrowlyticsOptions)"/>
/// (or by <c>AddGrowlytics</c> in a host).
/// </summary>
public static partial class Growlytics
{
    private const string NotInitialized =
        "Growlytics is not initialized. Call Growlytics.Initialize(\"YOUR_API_KEY\") once at start-up "
        + "(or services.AddGrowlytics(...) in an ASP.NET Core or generic host) before using Growlytics.User, "
        + "Growlytics.Customers or any other member of the facade.";

    private const string HostNotStarted =
        "Growlytics is registered with services.AddGrowlytics(...), but the host has not started yet, so the facade has no "
        + "client. Growlytics.User works once the host runs (app.Run(), host.StartAsync()); before that, resolve "
        + "GrowlyticsClient from the container (app.Services.GetRequiredService<GrowlyticsClient>()). An app without a host "
        + "calls Growlytics.Initialize(\"YOUR_API_KEY\") instead.";

    private const string HostStopped =
        "The Growlytics client registered with services.AddGrowlytics(...) has shut down: its host stopped. Calls made while "
        + "a host stops are counted as dropped (Shutdown); after that the facade has no client (an app that goes on without "
        + "the host calls Growlytics.Initialize(\"YOUR_API_KEY\")).";

    private const string ShutDown =
        "Growlytics has shut down (Growlytics.ShutdownAsync, the client's ShutdownAsync or Dispose, or the process "
        + "exiting), so the facade has no client. Calls made while it shut down were counted as dropped (Shutdown); to send "
        + "more, call Growlytics.Initialize(\"YOUR_API_KEY\") again.";

    private static readonly object Gate = new();
    private static GrowlyticsClient? _client;

    // The client last detached while its shutdown runs (however it began): a later ShutdownAsync waits for it too.
    private static GrowlyticsClient? _closing;

    // Set by AddGrowlytics, cleared when a host's client attaches: only changes the message of a call made too early.
    private static volatile bool _hostPending;

    // Set when a host's client has shut down with no client after it: only changes the message of a call made too late.
    private static volatile bool _hostStopped;

    // Set when the facade's own client (Initialize's) has shut down with no client after it: only changes the message.
    private static volatile bool _shutDown;

    // The facade's client when a host attached it (AddGrowlytics): the host owns it, so the facade neither replaces it nor
    // shuts it down. Guarded by Gate.
    private static GrowlyticsClient? _hostClient;

    // Clients of other hosts that started while the facade had a host's client (event 1011), in start order: when that
    // host's client detaches, the next of them still running becomes the facade's. Guarded by Gate.
    private static readonly List<GrowlyticsClient> WaitingHostClients = [];

    // UseClient's per-flow client. Read only once UseClient has been called, so apps that never swap pay nothing.
    private static readonly AsyncLocal<ClientOverride?> FlowClient = new();
    private static volatile bool _flowClientUsed;

    /// <summary>
    /// Gets a value indicating whether the facade has a client that accepts calls: <see langword="false"/> before
    /// <see cref="Initialize(GrowlyticsOptions)"/> (or a host's start), and from the moment its client's shutdown begins
    /// (also for a client given to <see cref="UseClient"/> whose shutdown has begun).
    /// </summary>
    public static bool IsInitialized => Attached is { IsShutDown: false };

    /// <summary>
    /// Gets the client the facade delegates to. While that client shuts down (<see cref="ShutdownAsync"/>, a host
    /// stopping, the process exiting) it is still returned, so code running then is not failed: its calls are counted as
    /// dropped (<see cref="DropReason.Shutdown"/>), as calls on the client itself are. After a shutdown at the process's end
    /// (its exit, an unhandled exception) it is still returned, for the app's own exit or crash handlers that run after the
    /// SDK's.
    /// </summary>
    /// <exception cref="InvalidOperationException">
    /// The facade is not initialized (or no longer: its client has shut down; the message says which).
    /// </exception>
    public static GrowlyticsClient Client => Current ?? CurrentOrThrow();

    // No client found: looked for again under the lock the facade's state changes under, so the client and the message's
    // state are read together. Read without it, a client set (or let go of) between the two reads gave the message of
    // no state the facade was in ("not initialized" while it initialized again or shut down).
    private static GrowlyticsClient CurrentOrThrow()
    {
        lock (Gate)
        {
            return Current ?? throw new InvalidOperationException(_hostPending ? HostNotStarted : _hostStopped ? HostStopped : _shutDown ? ShutDown : NotInitialized);
        }
    }

    private static GrowlyticsClient? Attached => (_flowClientUsed ? FlowClient.Value?.Client : null) ?? Volatile.Read(ref _client);

    // While the facade's client shuts down (a host stopping, ShutdownAsync, a process exit), calls still reach it and are
    // counted as dropped (Shutdown), as calls on the client itself are: code still running then does not fail.
    private static GrowlyticsClient? Current => Attached ?? Volatile.Read(ref _closing);

    /// <summary>
    /// Gets the current user session: the innermost scope in this async flow (<see cref="BeginScope"/>, or the
    /// ASP.NET Core middleware), else the process-wide session.
    /// </summary>
    /// <exception cref="InvalidOperationException">
    /// The facade is not initialized (or no longer: its client has shut down); or no scope is open and the client's
    /// <see cref="GrowlyticsOptions.SessionMode"/> is <see cref="SessionMode.RequireScope"/> (the default with
    /// <c>AddGrowlytics</c>: add <c>app.UseGrowlytics()</c>, or open <see cref="BeginScope"/>). The message says which.
    /// </exception>
    public static GrowlyticsUser User => Client.User;

    /// <summary>
    /// Gets stateless updates of any customer's profile, for webhooks, admin screens and jobs: no session, no login
    /// (see <see cref="GrowlyticsCustomers"/>).
    /// </summary>
    /// <exception cref="InvalidOperationException">The facade is not initialized.</exception>
    public static GrowlyticsCustomers Customers => Client.Customers;

    /// <summary>Creates the facade's client with an API key and optional settings.</summary>
    /// <param name="apiKey">
    /// The project's API key. When it is <see langword="null"/>, empty or blank, the <c>GROWLYTICS_API_KEY</c> environment
    /// variable gives it (see <see cref="GrowlyticsOptions.ApiKey"/>); with neither, an <see cref="ArgumentException"/> says so.
    /// </param>
    /// <param name="configure">Changes to the default settings, or <see langword="null"/>.</param>
    /// <returns>The client the facade now uses.</returns>
    /// <exception cref="ArgumentException">A setting is missing or out of range.</exception>
    /// <exception cref="InvalidOperationException">
    /// The facade is already initialized: call <see cref="ShutdownAsync"/> first; or a host's <c>AddGrowlytics</c> client
    /// is the facade's (configure it there instead).
    /// </exception>
    public static GrowlyticsClient Initialize(string? apiKey, Action<GrowlyticsOptions>? configure = null)
    {
        var options = new GrowlyticsOptions { ApiKey = apiKey };
        configure?.Invoke(options);

        // The settings come from two parameters here: the message names each setting, and no parameter is named.
        return InitializeCore(options, optionsParameter: null);
    }

    /// <summary>Creates the facade's client from settings.</summary>
    /// <param name="options">The settings.</param>
    /// <returns>The client the facade now uses.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">A setting is missing or out of range.</exception>
    /// <exception cref="InvalidOperationException">
    /// The facade is already initialized: call <see cref="ShutdownAsync"/> first; or a host's <c>AddGrowlytics</c> client
    /// is the facade's (configure it there instead).
    /// </exception>
    public static GrowlyticsClient Initialize(GrowlyticsOptions options)
    {
        if (options is null)
        {
            throw new ArgumentNullException(nameof(options));
        }

        return InitializeCore(options, nameof(options));
    }

    private static GrowlyticsClient InitializeCore(GrowlyticsOptions options, string? optionsParameter)
    {
        lock (Gate)
        {
            ThrowIfInitialized();
            var client = new GrowlyticsClient(options, startDelivery: true, optionsParameter);
            if (options.FlushOnProcessExit)
            {
                // Kept until the client's shutdown has completed (Closed): a process that exits while a shutdown started
                // elsewhere still runs waits for it.
                client.ProcessExitHandler = (_, _) =>
                {
                    client.EndsWithProcess = true;
                    client.Dispose();
                };
                AppDomain.CurrentDomain.ProcessExit += client.ProcessExitHandler;

                // .NET Framework: a domain that unloads while the process runs on (ASP.NET recycling the app, a plug-in
                // host) raises DomainUnload in it, never ProcessExit; what was accepted went with the domain, uncounted,
                // and the folder stayed taken. (.NET never raises it.)
                AppDomain.CurrentDomain.DomainUnload += client.ProcessExitHandler;

                // An unhandled exception ends the process without ProcessExit: what was accepted and not yet sent (or, with
                // StorageDirectory, not yet written) would be lost uncounted. The runtime waits for this handler.
                client.UnhandledExceptionHandler = (_, e) =>
                {
                    if (e.IsTerminating)
                    {
                        client.EndsWithProcess = true;
                        client.DisposeAtProcessEnd();
                    }
                };
                AppDomain.CurrentDomain.UnhandledException += client.UnhandledExceptionHandler;
                client.SetExitSignals(RegisterExitSignals(client));
            }

            // The client first: a read on another thread (Current, without the lock) that finds no client then still has
            // the message of the facade's state before this call, not "not initialized".
            Volatile.Write(ref _client, client);
            _hostStopped = false;
            _shutDown = false;
            return client;
        }
    }

    /// <summary>
    /// Makes the facade use <paramref name="client"/> in the current async flow (and work it starts) until the result is
    /// disposed, whether or not the facade is initialized. Other flows, and parallel tests, keep their own client. Meant
    /// for tests of code that calls <c>Growlytics.User</c>: create a client per test (for example with
    /// <c>GrowlyticsRecorder</c> from the <c>Growlytics.Testing</c> package) and call this at the start of the test method.
    /// While it is in effect, <see cref="ShutdownAsync"/> flushes <paramref name="client"/> instead of shutting anything down.
    /// </summary>
    /// <param name="client">The client the facade uses in this flow. Its owner disposes it.</param>
    /// <returns>An object that restores the previous client of this flow when disposed.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="client"/> is <see langword="null"/>.</exception>
    public static IDisposable UseClient(GrowlyticsClient client)
    {
        if (client is null)
        {
            throw new ArgumentNullException(nameof(client));
        }

        _flowClientUsed = true;
        return new ClientOverride(client);
    }

    /// <summary>Gives the current async flow a user session of its own; dispose the result to leave it.</summary>
    /// <returns>The scope.</returns>
    /// <exception cref="InvalidOperationException">The facade is not initialized.</exception>
    public static IDisposable BeginScope() => Client.BeginScope();

    /// <summary>
    /// Waits until every message recorded before the call is delivered or definitively dropped; with
    /// <see cref="GrowlyticsOptions.StorageDirectory"/> set, stored messages waiting on disk for a later try after
    /// their retries ran out count as settled (see <see cref="GrowlyticsClient.FlushAsync"/>).
    /// </summary>
    /// <param name="cancellationToken">Stops the wait; delivery goes on.</param>
    /// <returns>A task that completes when the messages are settled.</returns>
    /// <exception cref="InvalidOperationException">The facade is not initialized.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled (already before the
    /// call, too: then nothing is flushed).</exception>
    public static Task FlushAsync(CancellationToken cancellationToken = default) => Client.FlushAsync(cancellationToken);

    /// <summary>
    /// Gets a value indicating whether the user opted out of tracking (see <see cref="GrowlyticsClient.IsOptedOut"/>).
    /// </summary>
    /// <exception cref="InvalidOperationException">The facade is not initialized.</exception>
    public static bool IsOptedOut => Client.IsOptedOut;

    /// <summary>
    /// Turns tracking off at the user's request until <see cref="OptIn"/>: nothing is recorded, queued or sent, and what was
    /// not yet delivered is dropped; persisted with <see cref="GrowlyticsOptions.StorageDirectory"/>
    /// (see <see cref="GrowlyticsClient.OptOut"/>).
    /// </summary>
    /// <exception cref="InvalidOperationException">The facade is not initialized.</exception>
    /// <exception cref="ObjectDisposedException">
    /// The client the facade hands out has completed its shutdown: after a shutdown at the process's end (see
    /// <see cref="Client"/>), or a client given to <see cref="UseClient"/> (see <see cref="GrowlyticsClient.OptOut"/>).
    /// </exception>
    public static void OptOut() => Client.OptOut();

    /// <summary>Turns tracking back on after <see cref="OptOut"/> (see <see cref="GrowlyticsClient.OptIn"/>).</summary>
    /// <exception cref="InvalidOperationException">The facade is not initialized.</exception>
    /// <exception cref="ObjectDisposedException">
    /// The client the facade hands out has completed its shutdown (see <see cref="OptOut"/>).
    /// </exception>
    public static void OptIn() => Client.OptIn();

    /// <summary>
    /// Deletes what the SDK keeps locally (queued and stored messages, the session file, held attributes) and starts the
    /// process-wide session again as a new anonymous visitor (see <see cref="GrowlyticsClient.DeleteLocalDataAsync"/>).
    /// </summary>
    /// <param name="cancellationToken">Stops the wait; the deletion goes on.</param>
    /// <returns>A task that completes when the data is dropped and the files are deleted.</returns>
    /// <exception cref="InvalidOperationException">The facade is not initialized.</exception>
    /// <exception cref="ObjectDisposedException">
    /// The shutdown of the client the facade hands out has begun: the facade still hands it out while it shuts down (see
    /// <see cref="Client"/>), and a shutdown that has begun waits for no deletion begun after it
    /// (see <see cref="GrowlyticsClient.DeleteLocalDataAsync"/>). Thrown at the call; nothing is deleted.
    /// </exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled: the deletion goes on.</exception>
    public static Task DeleteLocalDataAsync(CancellationToken cancellationToken = default) => Client.DeleteLocalDataAsync(cancellationToken);

    /// <summary>
    /// Delivers what is queued (within <see cref="GrowlyticsOptions.ShutdownTimeout"/>), disposes the client and
    /// leaves the facade uninitialized. Called while the facade's client is shutting down (from another thread, or by the
    /// client's owner), it returns when that shutdown completes. Does nothing when it is not initialized. When the facade's
    /// client is a host's (<c>AddGrowlytics</c>), the host owns it: this flushes it and shuts nothing down (the host does when
    /// it stops).
    /// </summary>
    /// <param name="cancellationToken">
    /// Ends the delivery attempt early; where this only flushes (a host's client, <see cref="UseClient"/>), or waits for a
    /// host's client that its host is shutting down, it ends the wait and delivery goes on. Either way the task completes
    /// without an <see cref="OperationCanceledException"/>.
    /// </param>
    /// <returns>A task that completes when the client has shut down.</returns>
    public static Task ShutdownAsync(CancellationToken cancellationToken = default)
    {
        if (_flowClientUsed && FlowClient.Value is { } flow)
        {
            // A test's client belongs to the test: deliver what the code under test recorded, shut nothing down.
            return FlushInsteadAsync(flow.Client, cancellationToken);
        }

        // The client detaches itself as its shutdown begins; a call made while a shutdown runs (another thread's, or one
        // the client's owner began) waits for that shutdown.
        GrowlyticsClient? client;
        bool hosts;
        bool hostStopping;
        lock (Gate)
        {
            hosts = _client is not null && ReferenceEquals(_client, _hostClient);
            client = Volatile.Read(ref _client) ?? _closing;
            hostStopping = !hosts && client is not null && ReferenceEquals(client, _hostClient);
        }

        if (hosts)
        {
            // Shutting the host's client down here would leave the host running with a client that drops everything.
            return FlushInsteadAsync(client!, cancellationToken);
        }

        if (hostStopping)
        {
            // The host's client while its host stops: the host owns that shutdown, so this token ends only this wait.
            return WaitInsteadAsync(client!.ShutdownAsync(CancellationToken.None), cancellationToken);
        }

        return client?.ShutdownAsync(cancellationToken) ?? Task.CompletedTask;
    }

    // The flush that stands in for a shutdown: as the token ends a shutdown's delivery attempt without failing it, it ends
    // this wait (delivery goes on), and code written for the facade's own client does not see an exception here.
    private static async Task FlushInsteadAsync(GrowlyticsClient client, CancellationToken cancellationToken)
    {
        try
        {
            await client.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private static async Task WaitInsteadAsync(Task shutdown, CancellationToken cancellationToken)
    {
        try
        {
            await Polyfills.TaskCompat.WaitAsync(shutdown, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>Notes that <c>AddGrowlytics</c> registered a client that a host will attach when it starts.</summary>
    internal static void OnHostRegistered()
    {
        // The message names what happened last: a registration after a shutdown says the host has not started.
        lock (Gate)
        {
            _hostPending = true;
            _shutDown = false;
        }
    }

    /// <summary>Makes a host's client the facade's client, unless the facade already has one.</summary>
    internal static bool TryAttach(GrowlyticsClient client)
    {
        lock (Gate)
        {
            _hostPending = false;
            if (_client is not null)
            {
                if (ReferenceEquals(_client, client))
                {
                    return true;
                }

                if (ReferenceEquals(_client, _hostClient) && !WaitingHostClients.Contains(client))
                {
                    WaitingHostClients.Add(client);
                }

                return false;
            }

            Volatile.Write(ref _client, client);
            _hostClient = client;
            _hostStopped = false;
            _shutDown = false;
            return true;
        }
    }

    /// <summary>Detaches <paramref name="client"/> if it is the facade's client (a client shutting down, however it was shut down).</summary>
    internal static void Detach(GrowlyticsClient client)
    {
        lock (Gate)
        {
            WaitingHostClients.Remove(client);
            if (ReferenceEquals(_client, client))
            {
                // Closing first: a read on another thread (Current, without the lock) between the two writes finds the
                // client in one or the other, never in neither (which said "not initialized").
                Volatile.Write(ref _closing, client);
                if (ReferenceEquals(_hostClient, client) && NextWaitingHostClient() is { } next)
                {
                    // Another host still runs: its client becomes the facade's, as it would have been had it started first.
                    _hostClient = next;
                    Volatile.Write(ref _client, next);
                }
                else
                {
                    Volatile.Write(ref _client, null);
                }
            }
        }
    }

    /// <summary>Forgets <paramref name="client"/> once its shutdown has completed, and removes its process-exit handler.</summary>
    internal static void Closed(GrowlyticsClient client)
    {
        lock (Gate)
        {
            // What the facade says without a client is set before it lets go of this one: a read on another thread (Current,
            // without the lock) that finds no client then says the facade shut down (or its host stopped), never "not
            // initialized".
            var closing = ReferenceEquals(_closing, client);
            if (closing && _client is null && !ReferenceEquals(_hostClient, client))
            {
                _shutDown = true;
                _hostPending = false;
            }

            if (ReferenceEquals(_hostClient, client))
            {
                _hostClient = null;
                _hostStopped = _client is null;
            }

            // Not when the process ends (its exit, a crash): .NET runs an app's own exit or crash handler added after
            // Initialize after the SDK's, and its calls (a last Push) then reach this client and are counted dropped
            // (Shutdown), as on the client itself, instead of throwing in that handler.
            if (closing && !client.EndsWithProcess)
            {
                Volatile.Write(ref _closing, null);
            }
        }

        if (client.ProcessExitHandler is { } handler)
        {
            AppDomain.CurrentDomain.ProcessExit -= handler;
            AppDomain.CurrentDomain.DomainUnload -= handler;
            client.ProcessExitHandler = null;
        }

        if (client.UnhandledExceptionHandler is { } crash)
        {
            AppDomain.CurrentDomain.UnhandledException -= crash;
            client.UnhandledExceptionHandler = null;
        }

        client.DisposeExitSignals();
    }

    // The first waiting host's client not shutting down (one that is, is removed as it detaches). Under Gate.
    private static GrowlyticsClient? NextWaitingHostClient()
    {
        while (WaitingHostClients.Count > 0)
        {
            var next = WaitingHostClients[0];
            WaitingHostClients.RemoveAt(0);
            if (!next.IsShutDown)
            {
                return next;
            }
        }

        return null;
    }

    private sealed class ClientOverride : IDisposable
    {
        private readonly ClientOverride? _parent;
        private int _disposed;

        public ClientOverride(GrowlyticsClient client)
        {
            Client = client;
            _parent = FlowClient.Value;
            FlowClient.Value = this;
        }

        public GrowlyticsClient Client { get; }

        public void Dispose()
        {
            // Only the flow that holds this override unwinds it; work it started keeps the client it had (until that work
            // opens and closes overrides of its own). Overrides disposed out of order are skipped: the flow returns to
            // the nearest one still open, or to none.
            if (Interlocked.Exchange(ref _disposed, 1) == 0 && ReferenceEquals(FlowClient.Value, this))
            {
                var parent = _parent;
                while (parent is { IsDisposed: true })
                {
                    parent = parent._parent;
                }

                FlowClient.Value = parent;
            }
        }

        private bool IsDisposed => Volatile.Read(ref _disposed) != 0;
    }

    private static void ThrowIfInitialized()
    {
        if (_client is null)
        {
            return;
        }

        if (ReferenceEquals(_client, _hostClient))
        {
            throw new InvalidOperationException("Growlytics is already initialized by the host: the client registered with services.AddGrowlytics(...) is the facade's. Configure it there (its options or the \"Growlytics\" configuration section) instead of calling Growlytics.Initialize.");
        }

        throw new InvalidOperationException("Growlytics is already initialized. Call Growlytics.ShutdownAsync() before initializing it again.");
    }
}
