using Microsoft.Extensions.Logging;

namespace GrowlyticsSdk;

/// <summary>Settings of a <see cref="GrowlyticsClient"/>. Read once, when the client is created.</summary>
public sealed class GrowlyticsOptions
{
    /// <summary>The configuration section that <c>AddGrowlytics</c> binds by default.</summary>
    public const string SectionName = "Growlytics";

    private Uri _endpoint = new("https://dcqs-india.growlytics.in/");
    private string? _apiKey;

    /// <summary>Gets or sets the project's API key, sent in the <c>x-growlytics-key</c> header. Never logged.</summary>
    /// <value>Required; no default. Printable ASCII only (no whitespace, line breaks, control or non-ASCII characters), checked at start-up. When code and configuration leave it unset, the <c>GROWLYTICS_API_KEY</c> environment variable fills it. A key from configuration (<c>Growlytics:ApiKey</c>) or that variable is taken without surrounding whitespace (a secret file's closing line break); one set in code is checked as it is.</value>
    public string? ApiKey
    {
        get => _apiKey;
        set
        {
            _apiKey = value;
            ApiKeyFromEnvironment = false;
        }
    }

    /// <summary>
    /// Gets or sets the base address of the Growlytics collector. Must be <c>https</c>, except for loopback addresses; not
    /// port 0; no query string or fragment, no user info (<c>user:password@</c>), and not containing <see cref="ApiKey"/> when the key has 8
    /// characters or more (the key goes in <see cref="ApiKey"/> only; the address is logged), and not ending with the protocol's
    /// path (<c>rest-api/customer</c>, <c>events/sdk-batch</c>), which the SDK appends. Checked at start-up.
    /// </summary>
    /// <value>
    /// Defaults to <c>https://dcqs-india.growlytics.in/</c>. When code and configuration leave it unset, the <c>GROWLYTICS_ENDPOINT</c>
    /// environment variable fills it.
    /// </value>
    public Uri Endpoint
    {
        get => _endpoint;
        set
        {
            _endpoint = value;
            IsEndpointSet = true;
            EndpointFromEnvironment = false;
            EndpointVariableInvalid = false;
        }
    }

    /// <summary>
    /// Gets or sets which wire protocol the client speaks: <see cref="GrowlyticsProtocol.Rest"/> (Growlytics' documented
    /// customer API, one customer per request) or <see cref="GrowlyticsProtocol.Batch"/> (the SDK's own batch body, for
    /// collectors that implement it; Growlytics itself does not serve it).
    /// </summary>
    /// <value>Defaults to <see cref="GrowlyticsProtocol.Rest"/>.</value>
    public GrowlyticsProtocol Protocol { get; set; } = GrowlyticsProtocol.Rest;

    /// <summary>Gets or sets the most messages held in memory waiting to be sent (queued, waiting for their user's turn, or in flight).</summary>
    /// <value>Defaults to 100,000. Between 1 and 10,000,000.</value>
    public int MaxQueueSize { get; set; } = 100_000;

    /// <summary>
    /// Gets or sets the most bytes (an estimate of what the queued messages hold in memory) the queue may hold; the queue is
    /// full when either this or <see cref="MaxQueueSize"/> is reached. Each message is counted from its call with its wire
    /// form (its JSON), so the bodies of the requests on their way (sent, waiting out a retry, or
    /// waiting for the circuit to close) are within it; what a body takes beyond that (ids and attribute names outside
    /// ASCII) counts too, from the moment its request starts: a call is refused for room while messages and bodies
    /// together would go past it (<see cref="GrowlyticsStatistics.QueuedBytes"/>). With <see cref="StorageDirectory"/>, the
    /// bodies of requests of stored messages only (read from disk) do not count: an outage's calls go on to the disk.
    /// </summary>
    /// <value>Defaults to 64 MB (67,108,864 bytes). Between 64 KB and 16 GB.</value>
    public long MaxQueueBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>
    /// Gets or sets the most HTTP requests in flight at once. Each user's messages are never in two requests at once,
    /// so they arrive in call order; different users are sent concurrently. A 429 or a <c>Retry-After</c> lowers the
    /// effective limit for a while (it grows back by one per success).
    /// </summary>
    /// <remarks>
    /// An HTTP/1.1 request needs a connection of its own: one beyond the connections the HTTP handler opens per server
    /// (<c>MaxConnectionsPerServer</c>) waits inside the handler for one, and that wait counts against its attempt's
    /// <see cref="RequestTimeout"/>, so a handler with fewer connections than requests in flight times attempts out (and
    /// retries them, and drops their messages as <see cref="DropReason.RetriesExhausted"/> once their retries run out)
    /// while the service is healthy. Where the SDK sees the handler (its own; the primary handler <c>IHttpClientFactory</c>
    /// builds for <c>AddGrowlytics</c>, a <c>SocketsHttpHandler</c> or an <see cref="System.Net.Http.HttpClientHandler"/>,
    /// possibly wrapped in <see cref="System.Net.Http.DelegatingHandler"/>s set as the primary handler) it sends no more
    /// requests at once than that handler's <c>MaxConnectionsPerServer</c>, and says so once at start-up (event 2021, at
    /// Information): the requests beyond it wait in the SDK's queue, before their attempt and its timeout start. A client held to
    /// HTTP/2 or later (its <c>DefaultRequestVersion</c> with a <c>DefaultVersionPolicy</c> of <c>RequestVersionExact</c> or
    /// <c>RequestVersionOrHigher</c>, .NET 8+ build) shares connections and is not capped; with the default
    /// <c>RequestVersionOrLower</c> the handler may fall back to HTTP/1.1, so it stays capped. The SDK does
    /// not look inside an <see cref="HttpClient"/> given here: keep this option at most its handler's connections per server.
    /// </remarks>
    /// <value>
    /// Defaults to 0: the protocol's own default, <see cref="DefaultRestConcurrency"/> (32) for <see cref="GrowlyticsProtocol.Rest"/>
    /// (one customer per request) and <see cref="DefaultBatchConcurrency"/> (8) for <see cref="GrowlyticsProtocol.Batch"/>.
    /// Between 0 and 256.
    /// </value>
    public int MaxConcurrentRequests { get; set; }

    /// <summary>The number of requests in flight at once with <see cref="GrowlyticsProtocol.Rest"/> when <see cref="MaxConcurrentRequests"/> is 0.</summary>
    public const int DefaultRestConcurrency = 32;

    /// <summary>The number of requests in flight at once with <see cref="GrowlyticsProtocol.Batch"/> when <see cref="MaxConcurrentRequests"/> is 0.</summary>
    public const int DefaultBatchConcurrency = 8;

    /// <summary>Gets the limit in force: <see cref="MaxConcurrentRequests"/>, or the protocol's default when it is 0.</summary>
    internal int EffectiveMaxConcurrentRequests =>
        MaxConcurrentRequests > 0 ? MaxConcurrentRequests : Protocol == GrowlyticsProtocol.Batch ? DefaultBatchConcurrency : DefaultRestConcurrency;

    /// <summary>Gets or sets what happens to a message when the queue is full.</summary>
    /// <value>Defaults to <see cref="QueueOverflowPolicy.DropNewest"/>.</value>
    public QueueOverflowPolicy QueueOverflowPolicy { get; set; } = QueueOverflowPolicy.DropNewest;

    /// <summary>Gets or sets the most messages in one HTTP request.</summary>
    /// <value>Defaults to 100. Between 1 and 10,000.</value>
    public int MaxBatchSize { get; set; } = 100;

    /// <summary>
    /// Gets or sets the most bytes of (uncompressed) JSON in one HTTP request of <see cref="GrowlyticsProtocol.Batch"/>. A
    /// message that does not fit beside those already in a request starts the next one; a message larger than this alone
    /// is still sent, alone.
    /// </summary>
    /// <value>Defaults to 500 KB (512,000 bytes). Between 1 KB and 100 MB.</value>
    public int MaxBatchBytes { get; set; } = 500 * 1024;

    /// <summary>Gets or sets how long a message may wait for its batch to fill before it is sent anyway.</summary>
    /// <value>
    /// Defaults to 5 seconds. Between 1 millisecond and 1 hour; with <see cref="GrowlyticsProtocol.Batch"/> and
    /// <see cref="StorageDirectory"/>, it plus <see cref="StorageCommitInterval"/> must be shorter than <see cref="MaxStorageAge"/>
    /// (a stored message waits that long to be sent; refused at start-up).
    /// </value>
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Gets or sets the timeout of one HTTP attempt: from the moment the request is handed to the HTTP client until its
    /// answer's headers (and the few bytes of its body the SDK reads) have come, so a wait inside the HTTP handler for a
    /// connection counts too (see <see cref="MaxConcurrentRequests"/>). A wait for a request slot in the SDK does not.
    /// </summary>
    /// <value>Defaults to 10 seconds. Between 10 milliseconds and 10 minutes, and at most <see cref="RetryBudget"/>.</value>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Gets or sets how many times a failed batch is retried (network errors, timeouts, 408, 429, 5xx): attempts that go
    /// on the wire after the first. An attempt the open circuit breaker refuses is not counted, nor one answered with a
    /// request to slow down (a 429, or a 408 or 5xx carrying <c>Retry-After</c>: the service is up and said to wait); <see cref="RetryBudget"/>
    /// bounds the time a batch spends in attempts and waits. With 0 nothing is retried: a batch whose only attempt the
    /// open circuit refuses runs out of retries at once (<see cref="DropReason.RetriesExhausted"/>; kept on disk with
    /// <see cref="StorageDirectory"/>).
    /// </summary>
    /// <value>Defaults to 6. Between 0 and 100.</value>
    public int MaxRetryAttempts { get; set; } = 6;

    /// <summary>
    /// Gets or sets the base of the exponential backoff; each delay is drawn at random up to base × 2^attempt (full
    /// jitter). A request whose failure is its own (the service accepted other requests since it was first sent, and fewer
    /// than half of the latest attempts failed) waits at most the base before each retry.
    /// </summary>
    /// <value>
    /// Defaults to 100 milliseconds: a request that fails among many that succeed is retried soon, so it holds back its
    /// users briefly; in an outage the circuit breaker, not the backoff, keeps the service from being hammered. Between
    /// 1 millisecond and 10 minutes.
    /// </value>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Gets or sets the longest single wait between retries, including a server's <c>Retry-After</c>.</summary>
    /// <value>Defaults to 30 seconds. Between 1 millisecond and 1 hour.</value>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Gets or sets the total time one batch may spend in attempts and waits before it is dropped (with
    /// <see cref="StorageDirectory"/>, kept on disk and tried again after a pause; see docs/wire-protocol.md). It bounds the
    /// first attempt too, so it may not be shorter than <see cref="RequestTimeout"/> (refused at start-up).
    /// </summary>
    /// <value>Defaults to 2 minutes. Between 10 milliseconds and 1 day, and at least <see cref="RequestTimeout"/>.</value>
    public TimeSpan RetryBudget { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Gets or sets how long sending pauses after repeated failures (the circuit breaker).</summary>
    /// <value>Defaults to 15 seconds. Between 500 milliseconds and 1 day.</value>
    public TimeSpan CircuitBreakDuration { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Gets or sets how long shutdown or dispose may spend delivering what is still queued.</summary>
    /// <value>Defaults to 5 seconds. Between zero and 10 minutes.</value>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Gets or sets what a call with invalid input does.</summary>
    /// <value>Defaults to <see cref="InvalidInputHandling.Throw"/>.</value>
    public InvalidInputHandling InvalidInputHandling { get; set; } = InvalidInputHandling.Throw;

    /// <summary>
    /// Gets or sets a folder where the SDK keeps the process-wide session (anonymous id and logged-in user) across
    /// restarts, as the browser SDK keeps its visitor in local storage, and a durable queue: accepted messages are
    /// written there within <see cref="StorageCommitInterval"/>, sent from there, and removed only once the service
    /// accepted them, so an outage, a crash or a kill loses nothing already written. Use one folder per app and user,
    /// for example <see cref="GetDefaultStorageDirectory(string)"/>. A second process on the same folder logs a warning,
    /// keeps its queue in memory and takes the folder over once the first releases it (its memory messages are written
    /// there at its shutdown).
    /// </summary>
    /// <value>
    /// Defaults to <see langword="null"/>: nothing is written to disk (an empty string means the same). A blank path, or
    /// one with characters no path may have, is refused when the client is created; so is <c>~</c> or one starting with <c>~/</c>, or one
    /// referring to an environment variable (<c>%NAME%</c> anywhere, a folder name starting with <c>$NAME</c> or <c>${NAME}</c>),
    /// which nothing expands. A relative path is resolved
    /// against the current directory once, when the client is created (a service's is often <c>/</c> or <c>System32</c>:
    /// give such an app an absolute path): a later change of the current directory does not move it.
    /// </value>
    public string? StorageDirectory { get; set; }

    /// <summary>
    /// Gets or sets how often the background writer commits accepted messages to storage (one write and one flush
    /// to disk per commit). Messages accepted within this window before a power cut may be lost; a crash or kill of
    /// the process alone loses only messages not yet handed to the operating system, within the same window.
    /// </summary>
    /// <value>Defaults to 200 milliseconds. Between 1 millisecond and 10 seconds.</value>
    public TimeSpan StorageCommitInterval { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// Gets or sets the most bytes the SDK's files in the storage folder may take: the stored queue, and the session and
    /// bookkeeping files it makes room for (files the app puts there are not counted). Beyond it the oldest messages are
    /// dropped (<see cref="DropReason.StorageFull"/>), except to take the update of a call that waits for room
    /// (<see cref="GrowlyticsCustomers.UpdateAsync(string, object, System.Threading.CancellationToken)"/>): that call waits
    /// for deliveries to free room instead. With <see cref="GrowlyticsProtocol.Rest"/> and
    /// <see cref="SessionMode.ProcessWide"/> the session file, which holds the anonymous attributes pushed before the
    /// login, may take an eighth of the bound (at most 512 KB), and the queue keeps twice that free for it; a session whose
    /// held attributes would take more keeps them in memory only (logged once; dropped if the process ends before the
    /// login). The queue always keeps room for one segment (a sixteenth of the bound, at most 1 MB): only if the SDK's
    /// other files alone came within that of the bound could the folder exceed it, by at most one segment.
    /// </summary>
    /// <value>Defaults to 50 MB (52,428,800 bytes). Between 64 KB and 10 GB.</value>
    public long MaxStorageBytes { get; set; } = 50L * 1024 * 1024;

    /// <summary>Gets or sets how long a stored message may wait to be sent; older ones are dropped (<see cref="DropReason.Expired"/>).</summary>
    /// <value>
    /// Defaults to 3 days. Between 1 minute and 365 days; with <see cref="GrowlyticsProtocol.Batch"/> and
    /// <see cref="StorageDirectory"/>, longer than <see cref="FlushInterval"/> plus <see cref="StorageCommitInterval"/>.
    /// </value>
    public TimeSpan MaxStorageAge { get; set; } = TimeSpan.FromDays(3);

    /// <summary>
    /// Gets or sets how long, with <see cref="GrowlyticsProtocol.Rest"/>, the attributes a visitor pushed while anonymous in a
    /// scope (an ASP.NET Core request with the anonymous-id cookie or header, or <see cref="GrowlyticsClient.BeginScope(string, string)"/>)
    /// are kept in this process for a later login, after the visitor's last activity (sliding, like Growlytics' 30-minute
    /// session window). Attributes of a visitor who does not log in within it are dropped and counted
    /// (<see cref="DropReason.AnonymousExpired"/>), at the latest an eighth of it later when no call comes. The
    /// process-wide session keeps its attributes without a time limit.
    /// </summary>
    /// <value>Defaults to 30 minutes. Between 1 minute and 1 day.</value>
    public TimeSpan AnonymousAttributeRetention { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>
    /// Gets or sets the most anonymous visitors whose pushed attributes (<see cref="GrowlyticsProtocol.Rest"/>, scoped sessions)
    /// are kept in this process waiting for a login. Beyond it the least recently active visitor's attributes are dropped
    /// and counted (<see cref="DropReason.AnonymousExpired"/>). Each visitor holds at most 100 attributes; together the
    /// held attributes take at most <see cref="MaxQueueBytes"/> (estimated as queued messages are, each visitor's bookkeeping
    /// included, a bound of their own beside the queue's; the logins remembered for anonymous ids, which user each last logged
    /// in as, count toward it too), beyond which less recently active visitors make room in the same way.
    /// </summary>
    /// <value>Defaults to 10,000. Between 1 and 1,000,000.</value>
    public int MaxHeldAnonymousSessions { get; set; } = 10_000;

    /// <summary>Gets or sets the clock and timers the SDK uses.</summary>
    /// <value>Defaults to <see cref="TimeProvider.System"/>.</value>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Gets or sets where the SDK logs. Logs never contain the API key or attribute values.</summary>
    /// <value>Defaults to <see langword="null"/>: no logging.</value>
    public ILoggerFactory? LoggerFactory { get; set; }

    /// <summary>
    /// Gets or sets an <see cref="System.Net.Http.HttpClient"/> to send with. The SDK does not dispose it and
    /// does not change its settings; its <see cref="System.Net.Http.HttpClient.Timeout"/> should not be shorter
    /// than <see cref="RequestTimeout"/>. A request alone in flight is started on the SDK's delivery thread (others on the
    /// thread pool): what the client's handlers do before their first <see langword="await"/> delays the requests after it,
    /// so a handler should not block.
    /// Its handlers must honour the request's cancellation token: <see cref="RequestTimeout"/> and the shutdown's
    /// deadline end a request by cancelling it, and a shutdown waits for a request that ignores it. Its handler's connections
    /// per server are not read: with fewer of them than <see cref="MaxConcurrentRequests"/>, requests wait inside it for a
    /// connection while their <see cref="RequestTimeout"/> runs (set <see cref="MaxConcurrentRequests"/> to at most that).
    /// </summary>
    /// <value>Defaults to <see langword="null"/>: the SDK uses one long-lived client of its own.</value>
    public HttpClient? HttpClient { get; set; }

    /// <summary>Gets or sets which session the current user is when no scope is open.</summary>
    /// <value>
    /// Defaults to <see cref="SessionMode.ProcessWide"/>; <c>AddGrowlytics</c> defaults to <see cref="SessionMode.RequireScope"/>.
    /// </value>
    public SessionMode SessionMode { get; set; } = SessionMode.ProcessWide;

    /// <summary>
    /// Gets or sets a value indicating whether the facade's client (<see cref="Growlytics.Initialize(GrowlyticsOptions)"/>)
    /// flushes when the process exits; a client created with <c>new GrowlyticsClient(options)</c> ignores it (its owner
    /// disposes it), and <c>AddGrowlytics</c>' client is shut down by its host. The facade's client flushes at
    /// <see cref="AppDomain.ProcessExit"/> (and, on .NET Framework, at <see cref="AppDomain.DomainUnload"/>: an app domain
    /// that unloads while the process runs on, as ASP.NET's do when it recycles an app), when an unhandled exception is about to end the process
    /// (<see cref="AppDomain.UnhandledException"/>, within <see cref="ShutdownTimeout"/>; with <see cref="StorageDirectory"/>
    /// what it cannot deliver by then is written for the next start), and on .NET 10 and later (net8.0 build) when Ctrl+C, SIGTERM or SIGHUP is about
    /// to end it, which .NET 10 does not turn into <see cref="AppDomain.ProcessExit"/>. At such a signal the client flushes
    /// within <see cref="ShutdownTimeout"/> and keeps running, without preventing the end. A signal handler registered
    /// after the client (the generic host's, when the host starts later) runs first: if it cancels the signal, the SDK's
    /// does nothing. One registered before runs after the flush, which holds it for at most
    /// <see cref="ShutdownTimeout"/> (when the service does not answer). <see cref="AppDomain.ProcessExit"/> and
    /// <see cref="AppDomain.UnhandledException"/> handlers run the other way, in the order they were added: a call made in one the app adds
    /// after the client comes after its shutdown and is dropped (<see cref="DropReason.Shutdown"/>), through the facade too;
    /// add it before.
    /// </summary>
    /// <value>Defaults to <see langword="true"/> for the client created by <see cref="Growlytics.Initialize(GrowlyticsOptions)"/>.</value>
    public bool FlushOnProcessExit { get; set; } = true;

    /// <summary>
    /// Gets or sets a source of HTTP clients asked once per request (<c>IHttpClientFactory</c> in a host), whose handlers
    /// end with an <see cref="Delivery.ApiKeyHandler"/> that adds the API key.
    /// </summary>
    internal Func<HttpClient>? HttpClientProvider { get; set; }

    /// <summary>
    /// Gets or sets how many connections per server the primary handler of <see cref="HttpClientProvider"/>'s clients opens,
    /// when the SDK could read it (see <see cref="Delivery.DefaultHttpClient.ConnectionLimit"/>): no more requests are sent at once.
    /// </summary>
    internal int? HttpClientProviderConnectionLimit { get; set; }

    /// <summary>
    /// Gets or sets what is known of the key handlers of <see cref="HttpClientProvider"/>'s clients (see
    /// <see cref="Delivery.KeyHandlerWatch"/>), or <see langword="null"/> without them.
    /// </summary>
    internal Delivery.KeyHandlerWatch? KeyHandlerWatch { get; set; }

    /// <summary>
    /// Gets or sets a test seam: asked before every storage write; an exception it returns is thrown as if the disk had
    /// failed (for example an <see cref="IOException"/> saying there is no space left).
    /// </summary>
    internal Func<Exception?>? StorageWriteFault { get; set; }

    /// <summary>
    /// Gets or sets a test seam: asked with the size of every write of records to a segment; an exception it returns is
    /// thrown as if the disk had failed that write (a disk with room for smaller writes only, for example).
    /// </summary>
    internal Func<int, Exception?>? StorageAppendFault { get; set; }

    /// <summary>Gets or sets a test seam: told the delay chosen before every retry.</summary>
    internal Action<TimeSpan>? RetryDelayObserver { get; set; }

    /// <summary>Gets or sets a test seam: told, on the dispatcher's thread, how many stored records it read, before their messages are attached to them.</summary>
    internal Action<int>? AfterStoreRead { get; set; }

    /// <summary>Gets or sets a test seam: called on the dispatcher's thread before it reads the stored queue (which takes the store's lock).</summary>
    internal Action? BeforeStoreRead { get; set; }

    /// <summary>Gets or sets a test seam: called on the dispatcher's thread when it drops what it holds for an opt-out, before it reads memory.</summary>
    internal Action? BeforeOptOutSweep { get; set; }

    /// <summary>Gets or sets a test seam: called by the dispatcher's <c>FlushAsync</c> after it takes its target, before it registers the flush.</summary>
    internal Action? BeforeFlushRegistered { get; set; }

    /// <summary>Gets or sets a test seam: called on the pool thread that builds a request written ahead, before it builds it (as a slow build).</summary>
    internal Action? BeforeBuildAhead { get; set; }

    /// <summary>Gets or sets a test seam: called on the caller's thread by a fire-and-forget call the queue accepted, before it adds the message (as a thread preempted there).</summary>
    internal Action? BeforeQueueAdd { get; set; }

    /// <summary>Gets or sets a test seam: the pool the client's calls take messages from and delivered messages go back to (<see cref="Messages.MessagePool.Shared"/> when unset; attribute arrays always come from the shared pool).</summary>
    internal Messages.MessagePool? MessagePool { get; set; }

    /// <summary>
    /// Gets or sets a value indicating whether the configuration given to <c>AddGrowlytics(configuration)</c> holds the API
    /// key only in a <c>Growlytics</c> section of its own: the root was passed instead of that section.
    /// </summary>
    internal bool GivenTheConfigurationRoot { get; set; }

    /// <summary>Gets or sets the paths of the keys of the bound configuration section that are no option it reads (logged once by the client).</summary>
    internal string[] UnreadConfigurationKeys { get; set; } = [];

    /// <summary>Gets or sets the paths of the bound configuration section's time options written as a bare whole number, read as days (logged once by the client).</summary>
    internal string[] TimeKeysReadAsDays { get; set; } = [];

    /// <summary>Gets or sets a test seam: called on the storage writer's thread when it holds messages taken from memory, before it writes them.</summary>
    internal Action? BeforeStorageAppend { get; set; }

    /// <summary>Gets or sets a test seam: told on the storage writer's thread whether each try to take a held folder over took it.</summary>
    internal Action<bool>? AfterTakeOverTry { get; set; }

    /// <summary>Gets a value indicating whether code or configuration set <see cref="Endpoint"/> (else an environment variable may).</summary>
    internal bool IsEndpointSet { get; private set; }

    /// <summary>Gets or sets a value indicating whether <see cref="ApiKey"/> came from the <c>GROWLYTICS_API_KEY</c> environment variable.</summary>
    internal bool ApiKeyFromEnvironment { get; set; }

    /// <summary>Gets or sets a value indicating whether <see cref="Endpoint"/> came from the <c>GROWLYTICS_ENDPOINT</c> environment variable.</summary>
    internal bool EndpointFromEnvironment { get; set; }

    /// <summary>
    /// Gets or sets a value indicating whether the <c>GROWLYTICS_ENDPOINT</c> environment variable was to fill
    /// <see cref="Endpoint"/> and is not an absolute URI (refused unless the endpoint is set after that).
    /// </summary>
    internal bool EndpointVariableInvalid { get; set; }

    /// <summary>Gets or sets the factory that creates the <c>Growlytics</c> meter (from the host's container).</summary>
    internal System.Diagnostics.Metrics.IMeterFactory? MeterFactory { get; set; }

    /// <summary>Returns the per-user application-data folder for an app's Growlytics state, e.g. <c>%LOCALAPPDATA%\MyApp\Growlytics</c>.</summary>
    /// <param name="appName">A folder name for the app.</param>
    /// <returns>
    /// The folder path. Nothing is created or checked here: the client creates the folder when it starts, and runs from
    /// memory when it cannot (logged).
    /// </returns>
    /// <exception cref="ArgumentException">
    /// <paramref name="appName"/> is blank, <c>.</c> or <c>..</c> (not a folder of its own), or contains invalid path characters.
    /// </exception>
    /// <exception cref="InvalidOperationException">
    /// The system gives this process no per-user data folder at all: set <see cref="StorageDirectory"/> to a folder of the
    /// app's choice. (On Linux and macOS .NET always gives one: <c>XDG_DATA_HOME</c>, else <c>~/.local/share</c>; for a
    /// user without a home folder, a path below <c>/</c> that such a user usually cannot write, where the client then runs
    /// from memory and logs why.)
    /// </exception>
    public static string GetDefaultStorageDirectory(string appName)
    {
        if (string.IsNullOrWhiteSpace(appName) || appName is "." or ".." || appName.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0)
        {
            throw new ArgumentException("The app name must be a non-blank folder name (not \".\" or \"..\", no path separator).", nameof(appName));
        }

        // Not created here: a home folder the process cannot write must not fail the app's start (the client falls back to
        // memory and logs why).
        var root = Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.DoNotVerify);
        if (string.IsNullOrEmpty(root))
        {
            throw new InvalidOperationException("This process has no per-user data folder (no home folder); set GrowlyticsOptions.StorageDirectory to a folder of the app's choice.");
        }

        return Path.Combine(root, appName, "Growlytics");
    }

    internal GrowlyticsOptions Clone() => (GrowlyticsOptions)MemberwiseClone();
}
