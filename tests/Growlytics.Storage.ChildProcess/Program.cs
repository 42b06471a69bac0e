using System.Globalization;
using GrowlyticsSdk;

// A "flush" here waits until what was pushed is on disk (the client's internal FlushToStorageAsync, not FlushAsync,
// which waits for delivery).
// Usage:
//   Growlytics.Storage.ChildProcess <storage directory>
//     Pushes numbered updates ("n" = 0, 1, 2, ...) to a collector that is down, and after every flush prints
//     "flushed <count>": the first <count> messages are on disk. Runs until killed.
//   Growlytics.Storage.ChildProcess concurrent <storage directory> <endpoint> <users> <total>
//     Reads the API key from the GROWLYTICS_TEST_KEY environment variable. Pushes <total> numbered updates spread
//     round-robin over <users> sessions to a live collector with up to 8 requests at once, printing
//     "flushed <count>" after every flush (the first <count> messages are on disk) and "done" at the end; then waits,
//     delivering, until killed.
//   Growlytics.Storage.ChildProcess signal <endpoint> <count>
//     The facade, as a console app sets it up (Growlytics.Initialize, FlushOnProcessExit on), with the API key from
//     GROWLYTICS_TEST_KEY: pushes <count> numbered updates, prints "pushed", then waits for a signal to end it. Prints
//     "log <event id>" for each line the SDK logs. With "host-cancels" after <count>, a SIGTERM handler registered after
//     Initialize (as the generic host's is) cancels the signal and prints "cancelled": the process goes on. With "throw"
//     after <count>, it throws an unhandled exception instead of waiting (the process ends without ProcessExit); with
//     "throw-in-dropped-handler", MaxQueueSize is <count>, one more update is pushed (dropped, QueueFull) and an async void
//     MessageDropped handler throws after an await.
//   Growlytics.Storage.ChildProcess starved-dispose
//     Pushes 100 updates to a collector that is down (ShutdownTimeout 500 ms), blocks the thread pool's threads with
//     sleeping work items, calls Dispose on the main thread and prints "disposed <milliseconds>"; then exits.
if (args.Length > 0 && args[0] == "signal")
{
    RunUntilSignalled(new Uri(args[1]), int.Parse(args[2], CultureInfo.InvariantCulture), args.Length > 3 ? args[3] : null);
    return;
}

if (args.Length > 0 && args[0] == "starved-dispose")
{
    RunStarvedDispose();
    return;
}

if (args.Length > 0 && args[0] == "concurrent")
{
    await RunConcurrentAsync(args[1], new Uri(args[2]), int.Parse(args[3], CultureInfo.InvariantCulture), int.Parse(args[4], CultureInfo.InvariantCulture));
    return;
}

var options = new GrowlyticsOptions
{
    ApiKey = "child-key",
    Protocol = GrowlyticsProtocol.Batch,
    Endpoint = new Uri("http://127.0.0.1:1/"),
    StorageDirectory = args[0],
    MaxRetryAttempts = 0,
    FlushOnProcessExit = false,
};

var client = new GrowlyticsClient(options);
var attributes = new Dictionary<string, object?>(1);
for (var n = 0; ; n++)
{
    attributes["n"] = n;
    client.User.Push(attributes);
    if ((n + 1) % 50 == 0)
    {
        await client.FlushToStorageAsync();
        Console.WriteLine("flushed " + (n + 1).ToString(CultureInfo.InvariantCulture));
    }
}

static async Task RunConcurrentAsync(string directory, Uri endpoint, int users, int total)
{
    var client = new GrowlyticsClient(new GrowlyticsOptions
    {
        ApiKey = Environment.GetEnvironmentVariable("GROWLYTICS_TEST_KEY"),
        Protocol = GrowlyticsProtocol.Batch,
        Endpoint = endpoint,
        StorageDirectory = directory,
        MaxConcurrentRequests = 8,
        RequestTimeout = TimeSpan.FromSeconds(10),
        FlushOnProcessExit = false,
    });
    var ids = Enumerable.Range(0, users).Select(u => "user-" + u.ToString(CultureInfo.InvariantCulture)).ToArray();
    var attributes = new Dictionary<string, object?>(1);
    for (var n = 0; n < total; n++)
    {
        attributes["n"] = n;
        using (client.BeginScope(ids[n % users]))
        {
            client.User.Push(attributes);
        }

        if ((n + 1) % 1000 == 0 || n + 1 == total)
        {
            await client.FlushToStorageAsync();
            Console.WriteLine("flushed " + (n + 1).ToString(CultureInfo.InvariantCulture));
        }
    }

    Console.WriteLine("done");
    await Task.Delay(Timeout.Infinite);
}

static void RunStarvedDispose()
{
    var client = new GrowlyticsClient(new GrowlyticsOptions
    {
        ApiKey = "child-key",
        Protocol = GrowlyticsProtocol.Batch,
        Endpoint = new Uri("http://127.0.0.1:1/"),
        ShutdownTimeout = TimeSpan.FromMilliseconds(500),
        FlushOnProcessExit = false,
    });
    for (var n = 0; n < 100; n++)
    {
        client.User.Push(new Dictionary<string, object?> { ["n"] = n });
    }

    // Far more sleeping work items than the pool has threads: it adds threads slowly, so the shutdown's own work waits.
    for (var i = 0; i < 200; i++)
    {
        ThreadPool.QueueUserWorkItem(static _ => Thread.Sleep(TimeSpan.FromSeconds(30)));
    }

    var clock = System.Diagnostics.Stopwatch.StartNew();
    client.Dispose();
    Console.WriteLine("disposed " + clock.ElapsedMilliseconds.ToString(CultureInfo.InvariantCulture));
    Environment.Exit(0);
}

static void RunUntilSignalled(Uri endpoint, int count, string? then)
{
    var hostCancels = then == "host-cancels";
    Growlytics.Initialize(Environment.GetEnvironmentVariable("GROWLYTICS_TEST_KEY")!, o =>
    {
        o.Protocol = GrowlyticsProtocol.Batch;
        o.Endpoint = endpoint;
        o.ShutdownTimeout = TimeSpan.FromSeconds(20);
        o.LoggerFactory = new EventIdPrinter();
        if (then == "throw-in-dropped-handler")
        {
            o.MaxQueueSize = count;
        }
    });
    if (then == "throw-in-dropped-handler")
    {
        Growlytics.Client.MessageDropped += async (_, _) =>
        {
            await Task.Delay(100);
            throw new InvalidOperationException("The app crashes.");
        };
    }

    var attributes = new Dictionary<string, object?>(1);
    for (var n = 0; n < count; n++)
    {
        attributes["n"] = n;
        Growlytics.User.Push(attributes);
    }

    using var host = hostCancels
        ? System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, context =>
        {
            context.Cancel = true;
            Console.WriteLine("cancelled");
        })
        : null;
    if (then == "throw-in-dropped-handler")
    {
        attributes["n"] = count;
        Growlytics.User.Push(attributes);
    }

    Console.WriteLine("pushed");
    if (then == "throw")
    {
        throw new InvalidOperationException("The app crashes.");
    }

    Thread.Sleep(Timeout.Infinite);
}

internal sealed class EventIdPrinter : Microsoft.Extensions.Logging.ILoggerFactory, Microsoft.Extensions.Logging.ILogger
{
    public Microsoft.Extensions.Logging.ILogger CreateLogger(string categoryName) => this;

    public void AddProvider(Microsoft.Extensions.Logging.ILoggerProvider provider)
    {
    }

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => true;

    public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        Console.WriteLine("log " + eventId.Id.ToString(CultureInfo.InvariantCulture));

    public void Dispose()
    {
    }
}
