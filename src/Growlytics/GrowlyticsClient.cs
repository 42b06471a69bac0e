using GrowlyticsSdk.Configuration;
using GrowlyticsSdk.Delivery;
using GrowlyticsSdk.Diagnostics;
using GrowlyticsSdk.Messages;
using GrowlyticsSdk.Protocols;
using GrowlyticsSdk.Sessions;
using GrowlyticsSdk.Storage;
using GrowlyticsSdk.Threading;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace GrowlyticsSdk;

/// <summary>
/// The Growlytics client: owns the user sessions, the bounded queue and the delivery pipeline.
/// Create one per process (or let <c>AddGrowlytics</c> or <see cref="Growlytics.Initialize(GrowlyticsOptions)"/>
/// create it) and share it; every member is thread-safe.
/// </summary>
public sealed partial class GrowlyticsClient : IAsyncDisposable, IDisposable
{
    /// <summary>The name of the HTTP client <c>AddGrowlytics</c> registers with <c>IHttpClientFactory</c>; configure it further by this name.</summary>
    public const string HttpClientName = "Growlytics";

    private const string NoScope =
        "Growlytics.User was used outside a user scope, and this client has no process-wide session (SessionMode.RequireScope, "
        + "the default with AddGrowlytics). In ASP.NET Core add app.UseGrowlytics() (package Growlytics.AspNetCore) so each request "
        + "has its own user; around other work use 'using (Growlytics.BeginScope()) { ... }'; or, for an app with a single user, "
        + "set GrowlyticsOptions.SessionMode = SessionMode.ProcessWide.";

    // How long a shutdown whose deadline has passed (or that was cancelled) still waits for MessageDropped handlers to
    // report its drops.
    private static readonly TimeSpan ReportGrace = TimeSpan.FromMilliseconds(250);

    // How long a shutdown whose deadline has passed (or that was cancelled) still waits, in all, for what memory holds to be
    // written to the storage folder (a local write takes milliseconds): kept there for the next start, not dropped with the
    // process. A disk slower than that (stalled) does not hold the shutdown: what is not written by then is counted dropped.
    // The exit signal's handler gives the writer as long, past its own bound, to store what calls queued meanwhile.
    private static readonly TimeSpan StorageWriteGrace = TimeSpan.FromMilliseconds(250);

    // How much longer than the shutdown's own bound (ShutdownTimeout, StorageWriteGrace and ReportGrace) Dispose waits for it.
    private static readonly TimeSpan DisposeMargin = TimeSpan.FromSeconds(1);

    // Warnings about the app's calls (1001, 1002): once per interval with a count, whatever the request rate.
    private static readonly TimeSpan CallReportInterval = TimeSpan.FromSeconds(10);

    // The client whose MessageDropped handler is running (and flowing into what it starts): its Dispose() from there must
    // not block, as its shutdown may be waiting for that handler.
    private static readonly AsyncLocal<GrowlyticsClient?> InDroppedHandler = new();

    private readonly GrowlyticsOptions _options;
    private readonly ILogger _logger;

    // For the lines a call triggers: written off the caller's thread (see OffCallerLogger).
    private readonly ILogger _callLogger;
    private readonly DeliveryCounters _counters = new();
    private readonly object _droppedGate = new();
    private readonly BulkDropReports _bulkDrops;
    private readonly SettledDropReports _settledDrops;
    private readonly LogRateLimiter _handlerFaults;
    private readonly LogRateLimiter _invalidInputReports;
    private readonly LogRateLimiter _identifyReports;
    private EventHandler<MessageDroppedEventArgs>? _messageDropped;

    // The type of the latest exception a MessageDropped handler threw (for the shutdown's last report of them).
    private string? _latestHandlerFault;

    // The event's handlers one by one (null when none), kept with each change: each is called on its own, so one that
    // throws does not keep the others from hearing of the drop.
    private EventHandler<MessageDroppedEventArgs>[]? _droppedHandlers;
    private IDisposable? _exitSignals;
#if NET
    private int _signalFlushing;
#endif
    private readonly MessageQueue _queue;
    private readonly MemorySource _memory;
    private readonly Dispatcher _dispatcher;
    private readonly Func<long> _enginePending;
    private readonly HttpClient? _ownedHttp;
    private readonly GrowlyticsMeter _meter;
    private readonly AsyncLocal<UserScope?> _scope = new();
    private readonly GrowlyticsUser? _processUser;
    private readonly SessionStore? _sessionStore;
    private readonly DurableQueue? _durable;
    private readonly DiskSource? _disk;
    private readonly RequestSender _sender;
    private readonly ConcurrencyLimiter _limiter;
    private readonly HeldAttributeStore? _heldStore;
    private readonly CancellationTokenSource _shutdownCancel = new();
    private Task? _shutdown;
    private CancellationTokenRegistration _firstShutdownRegistration;
    private volatile bool _shuttingDown;

    // How many times the process-wide session changed in a way its file keeps (a client waiting for its folder counts them
    // too): a client that takes the folder over with none since its start continues the session the file holds then.
    private int _processSessionChanges;
    private int _sessionNotSavedReported;

    // Batch: the session whose held pushes (a REST run's, from the session file) this client queued at its start; a take-over
    // that finds them still in the file does not queue them again (see GrowlyticsUser.SaveOrContinueSession).
    private StoredSession? _heldQueuedAtStart;

    // The DeleteLocalDataAsync calls running (a task that completes when they have): the shutdown waits for them. Under
    // the _counters lock.
    private Task _deletions = Task.CompletedTask;

    /// <summary>Initializes a new instance of the <see cref="GrowlyticsClient"/> class and starts its delivery loop.</summary>
    /// <remarks>
    /// The client's owner shuts it down (<see cref="DisposeAsync"/>, <see cref="Dispose"/> or <see cref="ShutdownAsync"/>)
    /// before the process exits: what is still queued then is lost otherwise. <see cref="GrowlyticsOptions.FlushOnProcessExit"/>
    /// applies to the facade's client (<see cref="Growlytics.Initialize(GrowlyticsOptions)"/>) only, and a host shuts down
    /// the client <c>AddGrowlytics</c> registers.
    /// </remarks>
    /// <param name="options">The settings; copied, so later changes have no effect.</param>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">A setting is missing or out of range; the message lists every problem.</exception>
    public GrowlyticsClient(GrowlyticsOptions options)
        : this(options, startDelivery: true)
    {
    }

    internal GrowlyticsClient(GrowlyticsOptions options, bool startDelivery, string? optionsParameter = "options")
    {
        if (options is null)
        {
            throw new ArgumentNullException(nameof(options));
        }

        _options = options.Clone();
        EnvironmentDefaults.Apply(_options, optionsParameter);
        OptionsValidation.ThrowIfInvalid(_options, optionsParameter);
        if (_options.StorageDirectory is { Length: > 0 } storageDirectory)
        {
            // Resolved once, against the current directory at start: an app that changes its current directory later (a
            // file dialog, Directory.SetCurrentDirectory) must not move the folder under the client.
            _options.StorageDirectory = ResolveStorageDirectory(storageDirectory, optionsParameter);
        }

        // Guarded: a logging provider that throws must not reach the app's calls or stop delivery.
        _logger = _options.LoggerFactory?.CreateLogger("GrowlyticsSdk") is { } logger ? new GuardedLogger(logger) : NullLogger.Instance;
        _callLogger = _logger is GuardedLogger ? new OffCallerLogger(_logger) : _logger;
        _handlerFaults = new LogRateLimiter(_options.TimeProvider, TimeSpan.FromMinutes(1));
        _invalidInputReports = new LogRateLimiter(_options.TimeProvider, CallReportInterval);
        _identifyReports = new LogRateLimiter(_options.TimeProvider, CallReportInterval);
        _bulkDrops = new BulkDropReports(
            DeliveryCounters.AllReasons.Count,
            (reason, count) => RaiseDropped(new MessageDroppedEventArgs(reason, count, null, null, null, null)),
            () => ReferenceEquals(InDroppedHandler.Value, this));
        _counters.BulkReports = _bulkDrops;
        _settledDrops = new SettledDropReports(RaiseDropped, _bulkDrops);
        Func<HttpClient> http;

        // The primary handler's connections per server, where the SDK can see it (its own handler, or the one the factory
        // built for AddGrowlytics); an app's HttpClient is used as it is (see GrowlyticsOptions.MaxConcurrentRequests).
        int? connections = null;
        if (_options.HttpClientProvider is { } provider)
        {
            http = provider;
            connections = _options.HttpClientProviderConnectionLimit;
        }
        else
        {
            var client = _options.HttpClient ?? (_ownedHttp = DefaultHttpClient.Create(out connections));
            http = () => client;
        }

        var wake = new WakeSignal();
        var protocol = WireProtocols.Create(_options);
        _queue = new MessageQueue(_options, protocol.WaitsToFill ? protocol.MaxMessagesPerRequest : 1, protocol.MaxRequestBytes, _counters, wake, _callLogger);
        var memory = _memory = new MemorySource(_queue, _options.MaxQueueSize, MessagePool);
        DiskSource? disk = null;
        if (_options.StorageDirectory is { Length: > 0 })
        {
            _durable = new DurableQueue(
                _options,
                _counters,
                _logger,
                take: memory.TakeForStorage,
                written: memory.WrittenByStorage,
                handBack: messages =>
                {
                    memory.HandBack(messages);
                    wake.Set();

                    // A write that failed after shutdown stopped delivery: counted as dropped, not left pending.
                    _dispatcher?.DropLateArrivals();
                },
                wakeReader: wake.Set);
            _durable.ForStorage = () => memory.ForStorage;
            _durable.WakeOnNextMessage = _queue.WakeStorageOnNextMessage;
            memory.OrderKey = protocol.PartitionKey;
            memory.StoreEnd = () => _durable.End;
            _durable.HandBackIfWaiting = message =>
            {
                if (!memory.HandBackIfWaiting(message))
                {
                    return false;
                }

                wake.Set();
                _dispatcher?.DropLateArrivals();
                return true;
            };
            _durable.HandingBackInOrder = memory.HandingBackInOrder;
            _durable.DiskWorksAgain = () =>
            {
                if (memory.SentWithoutStorage)
                {
                    _dispatcher?.ReturnIdleToStorage();
                }
            };
            memory.ShareWith(() => _durable.IsBuffer);
            _durable.QueueTakenOver = memory.WaitForReads;
            _queue.StorageWake = _durable.WakeWriter;
            _durable.TakeFolder();
            disk = _disk = new DiskSource(_durable, _counters) { AfterStoreRead = _options.AfterStoreRead, BeforeStoreRead = _options.BeforeStoreRead };
        }

        if (_options.Protocol == GrowlyticsProtocol.Batch && IsGrowlyticsService(_options.Endpoint))
        {
            Log.BatchToGrowlyticsService(_logger, _options.Endpoint.Host);
        }

        var inFlight = ConcurrencyLimiter.MaxInFlight(_options.EffectiveMaxConcurrentRequests, connections);
        if (inFlight < _options.EffectiveMaxConcurrentRequests)
        {
            Log.RequestsCappedAtConnections(_logger);
        }

        var limiter = _limiter = new ConcurrencyLimiter(inFlight, _options.TimeProvider, wake.Set);
        var sender = _sender = new RequestSender(_options, protocol, http, limiter, _counters, _logger) { KeepOnRetriesExhausted = _durable is not null };
        var settler = new Settler(_counters, _settledDrops);
        disk?.Use(settler);
        _dispatcher = new Dispatcher(_options, protocol, _queue, memory, disk, sender, limiter, settler, wake, _logger);
        _queue.AddedAfterComplete = _dispatcher.DropLateArrivalsSoon;
        memory.WriterFoundNothing = _dispatcher.WakeIfFlushesWait;
        if (_durable is not null)
        {
            _durable.Restored = _dispatcher.StoredRecordsRestored;
        }
        _enginePending = () => _dispatcher.Pending;
        _meter = new GrowlyticsMeter(_counters, () => _enginePending() + _counters.Held, QueuedBytes, _options.MeterFactory);
        Customers = new GrowlyticsCustomers(this);
        if (_options.Protocol == GrowlyticsProtocol.Rest)
        {
            _heldStore = new HeldAttributeStore(_options, _counters, _logger, _callLogger, RaiseDropped, _queue.CountRefused);
        }

        // Read before the session is restored, so a client that starts opted out records nothing, not even a new session.
        var startOptedOut = _options.StorageDirectory is { Length: > 0 } privacyDirectory && PrivacyFile.ReadOptedOut(privacyDirectory, _logger);
        _optedOut = startOptedOut;
        var saveHeldQueuedAfterStart = false;
        if (_options.SessionMode == SessionMode.ProcessWide)
        {
            _sessionStore = _options.StorageDirectory is { Length: > 0 } directory ? new SessionStore(directory, _logger, StorageLimits.SessionFileCap(_options.MaxStorageBytes)) { FoundDamaged = () => _counters.AddCorrupt(1) } : null;
            var stored = _sessionStore?.Load();
            _processUser = new GrowlyticsUser(this, stored?.AnonymousId ?? AnonymousIds.New(), stored?.UserId, RestoreHeld(stored, out var queuedHeld));
            if (queuedHeld && startDelivery && _durable is { IsBuffer: true })
            {
                // Held pushes just queued (Batch): the file keeps them until the update is stored, which only the storage
                // writer started below can do (its flush before the start completes at once, so the file lost them while
                // the update was in memory only). Saved once the writer runs.
                saveHeldQueuedAfterStart = true;
            }
            else if (stored is null || _sessionStore!.LoadedTooLarge || queuedHeld)
            {
                // A new session, or one whose file is larger than its share of the storage bound now, or one whose held
                // pushes were just queued (Batch): written (again), in the last case once they are stored, opted out too.
                // While another client holds the folder, only the last is a change to say (event 3005): the app made none.
                OnSessionChanged(_processUser, evenIfOptedOut: queuedHeld, afterQueued: queuedHeld, reportNotSaved: queuedHeld);
            }
        }

        if (startOptedOut)
        {
            // What a previous run left (stored messages, held attributes) is dropped, never sent: the stored queue as the
            // folder is loaded (later, when another client holds it now), even if the user has opted back in by then.
            if (_durable is not null)
            {
                _durable.DropAtLoad = DropReason.OptedOut;
            }

            ApplyOptOut();
            Log.StartsOptedOut(_logger);
        }

        if (_durable is not null && _processUser is { } processUser)
        {
            // Kept in memory while another client held the folder (see OnSessionChanged): written once the folder is ours,
            // unless it is unchanged since the start: then the session the previous owner left in the file continues.
            var savesAtStart = Volatile.Read(ref _processSessionChanges);
            var store = _sessionStore;
            if (store is not null)
            {
                // Checked again when a save is written (one may wait for the stored queue while another client takes the
                // folder): one writer per folder.
                store.MayWrite = () => WritesSessionFile;
            }

            _durable.TakenOver = () =>
            {
                store?.DeleteLeftTemporaries();
                processUser.SaveOrContinueSession(store, () => Volatile.Read(ref _processSessionChanges) == savesAtStart);
            };
            _durable.FolderTakenAgain = () => processUser.SaveOrContinueSession(store, static () => false);
        }

        if (_durable is { IsOwner: true } && _options.StorageDirectory is { } ownDirectory)
        {
            // A session file's temporary copy a process killed while writing it left is never read; it went on taking
            // its share of MaxStorageBytes at every start. Only the folder's owner writes session files.
            if (_sessionStore is { } sessionStore)
            {
                sessionStore.DeleteLeftTemporaries();
            }
            else
            {
                SessionStore.DeleteTemporaries(ownDirectory);
            }
        }

        if (startDelivery)
        {
            _durable?.Start();
            _dispatcher.Start();
        }

        if (saveHeldQueuedAfterStart)
        {
            OnSessionChanged(_processUser!, evenIfOptedOut: true, afterQueued: true);
        }
    }

    /// <summary>
    /// Gets the full path of <paramref name="directory"/> (a relative path against the current directory now); a path the
    /// platform cannot resolve is refused as invalid options, naming the option and not the path. When the current
    /// directory cannot be read (deleted under the process), the path stays as given: the folder then fails as it is
    /// used, and the client runs from memory (event 4002), as for any folder it cannot use.
    /// </summary>
    private static string ResolveStorageDirectory(string directory, string? optionsParameter)
    {
        try
        {
            return Path.GetFullPath(directory);
        }
        catch (Exception ex) when (ex is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw new ArgumentException("GrowlyticsOptions.StorageDirectory is not a path this platform can resolve (" + ex.GetType().Name + ").", optionsParameter);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Security.SecurityException)
        {
            return directory;
        }
    }

    /// <summary>
    /// Gets the current user session: the innermost scope begun with <see cref="BeginScope()"/> in this
    /// async flow, else the process-wide session.
    /// </summary>
    /// <exception cref="InvalidOperationException">
    /// No scope is open and <see cref="GrowlyticsOptions.SessionMode"/> is <see cref="SessionMode.RequireScope"/>.
    /// </exception>
    public GrowlyticsUser User => _scope.Value?.User ?? _processUser ?? throw new InvalidOperationException(NoScope);

    /// <summary>
    /// Gets stateless updates of any customer's profile (webhooks, admin screens, jobs), independent of the current session.
    /// </summary>
    public GrowlyticsCustomers Customers { get; }

    /// <summary>
    /// Gets a snapshot of the delivery figures, in which <see cref="GrowlyticsStatistics.Enqueued"/> =
    /// <see cref="GrowlyticsStatistics.Delivered"/> + <see cref="GrowlyticsStatistics.Dropped"/> +
    /// <see cref="GrowlyticsStatistics.Pending"/>, also while calls are made and messages are sent.
    /// </summary>
    /// <remarks>
    /// A message moves between two figures in two steps. A snapshot taken between them is taken again, briefly (it spins
    /// and yields, never sleeps); a thread paused between the two steps for longer than that can still show in a
    /// snapshot as a call counted in one figure too many or too few.
    /// </remarks>
    public GrowlyticsStatistics Statistics => _counters.Snapshot(_enginePending, queuedBytes: QueuedBytes);

    internal TimeProvider TimeProvider => _options.TimeProvider;

    // What counts toward MaxQueueBytes: the queued messages' estimate and the bodies of the requests that carry messages
    // from memory (GrowlyticsStatistics.QueuedBytes).
    private long QueuedBytes() => _queue.EstimatedBytes + _queue.RequestBytes;

    /// <summary>Gets the client's logger (guarded: a logger that throws never reaches the caller).</summary>
    internal ILogger Logger => _logger;

    /// <summary>Gets a value indicating whether the warnings calls triggered so far have been written (see OffCallerLogger).</summary>
    internal bool CallLinesWritten => _callLogger is not OffCallerLogger callLogger || callLogger.IsIdle;

    /// <summary>Gets the pool calls take their messages from (delivered ones go back to it).</summary>
    internal MessagePool MessagePool => _options.MessagePool ?? MessagePool.Shared;

    internal GrowlyticsProtocol Protocol => _options.Protocol;

    // Growlytics' own service (growlytics.in and its subdomains), which serves the REST API and no events/sdk-batch.
    private static bool IsGrowlyticsService(Uri endpoint) =>
        endpoint.Host.Equals("growlytics.in", StringComparison.OrdinalIgnoreCase)
        || endpoint.Host.EndsWith(".growlytics.in", StringComparison.OrdinalIgnoreCase);

    /// <summary>Gets the attribute limits of the protocol this client speaks, applied at every call.</summary>
    internal Validation.AttributeLimits AttributeLimits => Validation.AttributeLimits.For(_options.Protocol);

    internal MessageQueue Queue => _queue;

    internal Dispatcher Dispatcher => _dispatcher;

    /// <summary>Gets the most requests in flight at once (<see cref="GrowlyticsOptions.MaxConcurrentRequests"/>, or fewer: see <see cref="ConcurrencyLimiter.MaxInFlight"/>).</summary>
    internal int MaxRequestsInFlight => _limiter.Max;

    internal DeliveryCounters Counters => _counters;

    /// <summary>Gets a value indicating whether the storage writer has ended (for tests of what shutdown does after it).</summary>
    internal bool StorageWriterStopped => _durable?.WriterStopped ?? true;

    /// <summary>Gets the scoped sessions' anonymous attributes held for their login (REST only; else null).</summary>
    internal HeldAttributeStore? HeldStore => _heldStore;

    internal bool IsShutDown => _shuttingDown;

    /// <summary>Gets or sets what runs once the shutdown has completed (the container lets go of its HTTP client then).</summary>
    internal Action? AfterShutdown { get; set; }

    /// <summary>Gets or sets the facade's process-exit (and .NET Framework domain-unload) handler for this client, removed once its shutdown has completed.</summary>
    internal EventHandler? ProcessExitHandler { get; set; }

    /// <summary>Gets or sets the facade's handler of an unhandled exception that ends the process (shuts this client down).</summary>
    internal UnhandledExceptionEventHandler? UnhandledExceptionHandler { get; set; }

    /// <summary>
    /// Gets or sets a value indicating whether the facade shut this client down because the process ends (its exit, an
    /// unhandled exception): the facade keeps handing it out afterwards (see <c>Growlytics.Closed</c>).
    /// </summary>
    internal bool EndsWithProcess { get; set; }

    /// <summary>Keeps the facade's handlers of the signals that end the process (see <c>Growlytics.RegisterExitSignals</c>).</summary>
    internal void SetExitSignals(IDisposable? registrations) => Volatile.Write(ref _exitSignals, registrations);

    /// <summary>Removes the facade's signal handlers, once the shutdown has completed.</summary>
    internal void DisposeExitSignals() => Interlocked.Exchange(ref _exitSignals, null)?.Dispose();

    /// <summary>
    /// Waits until every message recorded before the call is delivered or definitively dropped, sending what is queued
    /// without waiting for the flush interval. With <see cref="GrowlyticsProtocol.Rest"/>, anonymous pushes held for a
    /// login are not waited for (they are sent with it, and stay in <see cref="GrowlyticsStatistics.Pending"/>). With <see cref="GrowlyticsOptions.StorageDirectory"/> set, they are first
    /// written to storage (where they survive a crash); then a stored message whose user's messages ran out of retries
    /// (kept on disk, tried again after <see cref="GrowlyticsOptions.RetryBaseDelay"/> or
    /// <see cref="GrowlyticsOptions.MaxRetryDelay"/>, see the README's storage section, or at the next start), or that
    /// waits behind such messages, no longer holds the flush: during an outage it returns once every user's first
    /// request has run out of retries, not when the service is back. Messages held in memory while the disk fails are
    /// waited for until they are delivered or dropped, and so is an update of
    /// <see cref="GrowlyticsCustomers.UpdateAsync(string, object, CancellationToken)"/> the storage writer holds while
    /// the folder is full (during an outage, until the service is back).
    /// It does not wait for the <see cref="MessageDropped"/> handlers of its drops: they run on a pool thread, and may
    /// run just after it completes (<see cref="Statistics"/> counts the drops before). Delivery never waits for a handler,
    /// so one that blocks on this (or marshals to a thread blocked on it, with <c>Control.Invoke</c>) holds only the
    /// reports after its own.
    /// </summary>
    /// <param name="cancellationToken">
    /// Stops the wait; delivery goes on, as for messages no flush waits for (a partly filled batch waits for
    /// <see cref="GrowlyticsOptions.FlushInterval"/> again).
    /// </param>
    /// <returns>A task that completes when the messages are settled (or, with storage, wait on disk for a later try).</returns>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled (already before the
    /// call, too: then nothing is flushed).</exception>
    public Task FlushAsync(CancellationToken cancellationToken = default) =>
        cancellationToken.IsCancellationRequested ? Task.FromCanceled(cancellationToken)
        : _sessionStore is null && _durable is null ? _dispatcher.FlushAsync(cancellationToken)
        : FlushWithStorageAsync(cancellationToken);

    internal void Enqueue(UserMessage message, int counted = 0) => _queue.Enqueue(message, counted);

    /// <summary>Queues a message, waiting for room instead of dropping when the queue is full (for jobs).</summary>
    internal ValueTask EnqueueAsync(UserMessage message, CancellationToken cancellationToken) => _queue.EnqueueAsync(message, cancellationToken);
}
