using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using GrowlyticsSdk.TestSupport;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace GrowlyticsSdk.IntegrationTests.Delivery;

/// <summary>
/// A seeded random scenario of an app's whole life: both protocols, with and without storage, a collector that answers
/// 503, 429 with <c>Retry-After</c>, resets and slow answers at random, several tasks calling Push, Identify, Logout,
/// Customers.Update(Async), FlushAsync, OptOut/OptIn, the disk filling and emptying, and a restart (ShutdownAsync, then
/// a new client on the same folder) in the middle. Checks after each seed what holds whatever the mix: the figures
/// balance, the collector got only what calls made, with each user's calls in order, duplicates only where documented,
/// nothing thrown into the app, no unobserved task exception, no value, user id or key in a log line.
/// </summary>
[Collection(EngineCollection.Name)]
public sealed class ChaosTests(ITestOutputHelper output)
{
    private const string ApiKey = "chaos-key-0123456789";

    /// <summary>
    /// Seeds 1-6; <c>CHAOS_SEEDS=first:count</c> runs that range instead (a long exploration: each seed is one case).
    /// </summary>
    public static TheoryData<int> Seeds
    {
        get
        {
            var (first, count) = (1, 6);
            if (Environment.GetEnvironmentVariable("CHAOS_SEEDS") is { } range && range.Split(':') is [var from, var many])
            {
                (first, count) = (int.Parse(from, CultureInfo.InvariantCulture), int.Parse(many, CultureInfo.InvariantCulture));
            }

            var seeds = new TheoryData<int>();
            for (var seed = first; seed < first + count; seed++)
            {
                seeds.Add(seed);
            }

            return seeds;
        }
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public async Task Scenario_RandomSeed_InvariantsHold(int seed)
    {
        var problems = await RunSeedAsync(seed);
        problems.Should().BeEmpty("seed {0}", seed);
    }

    private async Task<List<string>> RunSeedAsync(int seed)
    {
        var problems = new ConcurrentQueue<string>();
        var unobserved = new ConcurrentQueue<Exception>();
        void OnUnobserved(object? sender, UnobservedTaskExceptionEventArgs e) => unobserved.Enqueue(e.Exception);
        TaskScheduler.UnobservedTaskException += OnUnobserved;
        try
        {
            var scenario = new Scenario(seed, problems);
            await scenario.RunAsync();
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
            foreach (var ex in unobserved)
            {
                problems.Enqueue("unobserved task exception: " + ex.InnerException?.GetType().Name + " " + ex.InnerException?.Message);
            }

            output.WriteLine($"seed {seed}: {scenario.Describe()}");
            if (!problems.IsEmpty)
            {
                problems.Enqueue("scenario: " + scenario.Describe());
            }
        }
        catch (Exception ex)
        {
            problems.Enqueue("scenario threw: " + ex);
        }
        finally
        {
            TaskScheduler.UnobservedTaskException -= OnUnobserved;
        }

        return [.. problems];
    }

    /// <summary>One call as the app made it: its number, the key its order is kept by, and who it must reach.</summary>
    private sealed record Call(int N, string Kind, string OrderKey, string? ExpectedCustomer, string? ExpectedAnonymousId, string Owner, int Phase);

    /// <summary>One receipt of a numbered call at the collector.</summary>
    private sealed record Receipt(int N, int Request, long Start, int Status, string? Customer, string? AnonymousId, int Phase);

    private sealed class Scenario
    {
        private readonly int _seed;
        private readonly Random _random;
        private readonly ConcurrentQueue<string> _problems;
        private readonly ConcurrentDictionary<int, Call> _calls = new();
        private readonly ConcurrentQueue<Receipt> _receipts = new();
        private readonly ConcurrentQueue<string> _logLines = new();
        private readonly ConcurrentQueue<(int Phase, int EventId, LogLevel Level)> _events = new();
        private readonly object _faultGate = new();
        private readonly Random _faults;
        private int _next;
        private int _requests;
        private int _phase;
        private int _opsDone;
        private bool _diskFull;
        private bool _diskEverFull;
        private bool _optedOutEver;
        private long _ackedMessages;
        private WebApplication? _app;

        public Scenario(int seed, ConcurrentQueue<string> problems)
        {
            _seed = seed;
            _random = new Random(seed);
            _faults = new Random(seed * 7919);
            _problems = problems;
            Protocol = _random.Next(2) == 0 ? GrowlyticsProtocol.Batch : GrowlyticsProtocol.Rest;
            WithStorage = _random.Next(2) == 0;
            Tasks = 2 + _random.Next(3);
            OpsPerTask = 20 + _random.Next(40);
            FaultRate = _random.Next(4) * 0.1;
            UseOptOut = _random.Next(3) == 0;
            UseDisk = WithStorage && _random.Next(2) == 0;
            SmallQueue = _random.Next(4) == 0;
            DropOldest = _random.Next(3) == 0;
            SmallStorage = WithStorage && _random.Next(4) == 0;
            ShortTimeout = _random.Next(4) == 0;
            ZeroShutdown = _random.Next(4) == 0;
        }

        public GrowlyticsProtocol Protocol { get; }

        public bool WithStorage { get; }

        public int Tasks { get; }

        public int OpsPerTask { get; }

        public double FaultRate { get; }

        public bool UseOptOut { get; }

        public bool UseDisk { get; }

        public bool SmallQueue { get; }

        public bool DropOldest { get; }

        public bool SmallStorage { get; }

        public bool ShortTimeout { get; }

        public bool ZeroShutdown { get; }

        public GrowlyticsStatistics? First { get; private set; }

        public GrowlyticsStatistics? Second { get; private set; }

        public string Describe() =>
            $"{Protocol} storage={WithStorage} small={SmallQueue}/{SmallStorage} oldest={DropOldest} short={ShortTimeout} zero={ZeroShutdown} tasks={Tasks} ops={OpsPerTask} faults={FaultRate:0.0} disk={_diskEverFull} optout={_optedOutEver} requests={_requests} "
            + $"first=[{Format(First)}] second=[{Format(Second)}]";

        private static string Format(GrowlyticsStatistics? s) => s is null ? "" :
            $"enq {s.Enqueued} del {s.Delivered} drop {s.Dropped} pend {s.Pending} restored {s.Restored} " + string.Join(",", s.DroppedByReason.Where(d => d.Value > 0).Select(d => $"{d.Key}:{d.Value}"));

        private void Problem(string problem) => _problems.Enqueue(problem);

        public async Task RunAsync()
        {
            using var folder = new TempFolder();
            await StartCollectorAsync();
            try
            {
                var sessions = Enumerable.Range(0, Tasks).Select(t => new AppTask(this, t, new Random(_seed * 31 + t))).ToArray();

                // Phase 1; the tasks run on across the restart, which comes in the middle of their calls.
                var client = new GrowlyticsClient(Options(folder.Sub("storage")));
                Watch(client);
                Volatile.Write(ref _client, client);
                var app = Task.WhenAll(sessions.Select(s => Task.Run(s.RunAsync)));
                var restartAt = Tasks * OpsPerTask * 2 * (30 + _random.Next(40)) / 100;
                while (!app.IsCompleted && Volatile.Read(ref _opsDone) < restartAt)
                {
                    await Task.Delay(1);
                }


                // A restart in the middle: shut down while calls are made and requests are on their way, then a new
                // client on the same folder.
                await client.ShutdownAsync().WaitAsync(TimeSpan.FromSeconds(30));
                First = client.Statistics;
                FirstShutDown = true;
                CheckBalanced("first client after shutdown", First);
                if (!WithStorage && First.Pending != 0)
                {
                    Problem($"without storage, {First.Pending} pending after shutdown");
                }

                client.Dispose();
                await Task.Delay(_random.Next(0, 30));
                var afterFirst = client.Statistics;
                if (afterFirst.Delivered != First.Delivered || afterFirst.Pending > First.Pending)
                {
                    Problem($"first client's figures moved after its shutdown returned: [{Format(First)}] then [{Format(afterFirst)}]");
                }

                var firstClient = client;
                Interlocked.Increment(ref _phase);
                client = new GrowlyticsClient(Options(folder.Sub("storage")));
                Watch(client);
                Volatile.Write(ref _client, client);
                await app.WaitAsync(TimeSpan.FromSeconds(60));

                // Calls the tasks made on the first client after its shutdown are counted there too.
                First = firstClient.Statistics;
                CheckBalanced("first client at the end", First);
                Volatile.Write(ref _diskFull, false);
                if (client.IsOptedOut)
                {
                    client.OptIn();
                }

                try
                {
                    await client.FlushAsync().WaitAsync(TimeSpan.FromSeconds(30));
                }
                catch (Exception ex)
                {
                    Problem("final flush: " + ex.GetType().Name + " " + ex.Message);
                }

                await client.ShutdownAsync().WaitAsync(TimeSpan.FromSeconds(30));
                Second = client.Statistics;
                CheckBalanced("second client after shutdown", Second);
                if (Second.Pending != 0 && !WithStorage)
                {
                    Problem($"without storage, {Second.Pending} pending after the final shutdown");
                }

                if (First.Pending > 0 && WithStorage && Second.Restored < First.Pending)
                {
                    Problem($"first client left {First.Pending} pending on disk, second restored only {Second.Restored}");
                }

                if (!WithStorage && Second.Restored != 0)
                {
                    Problem($"restored {Second.Restored} without storage");
                }

                await Task.Delay(50);
                Check();
            }
            finally
            {
                await StopCollectorAsync();
            }
        }

        private void CheckBalanced(string what, GrowlyticsStatistics s)
        {
            if (s.Enqueued != s.Delivered + s.Dropped + s.Pending)
            {
                Problem($"{what}: enqueued {s.Enqueued} != delivered {s.Delivered} + dropped {s.Dropped} + pending {s.Pending}");
            }

            if (s.DroppedByReason[DropReason.InternalError] > 0)
            {
                Problem($"{what}: {s.DroppedByReason[DropReason.InternalError]} dropped InternalError");
            }
        }

        private GrowlyticsOptions Options(string storage)
        {
            var options = new GrowlyticsOptions
            {
                ApiKey = ApiKey,
                Protocol = Protocol,
                Endpoint = new Uri($"http://127.0.0.1:{Port}/"),
                FlushInterval = TimeSpan.FromMilliseconds(20),
                RequestTimeout = TimeSpan.FromSeconds(2),
                RetryBaseDelay = TimeSpan.FromMilliseconds(5),
                MaxRetryDelay = TimeSpan.FromMilliseconds(100),
                MaxRetryAttempts = 8,
                RetryBudget = TimeSpan.FromSeconds(10),
                CircuitBreakDuration = TimeSpan.FromMilliseconds(500),
                ShutdownTimeout = TimeSpan.FromSeconds(2),
                StorageCommitInterval = TimeSpan.FromMilliseconds(20),
                MaxBatchSize = 5,
                FlushOnProcessExit = false,
                LoggerFactory = new Logs(this),
                StorageWriteFault = () => Volatile.Read(ref _diskFull) ? new IOException("No space left on device") : null,
            };
            if (WithStorage)
            {
                options.StorageDirectory = storage;
            }

            if (SmallQueue)
            {
                options.MaxQueueSize = 8;
            }

            if (DropOldest)
            {
                options.QueueOverflowPolicy = QueueOverflowPolicy.DropOldest;
            }

            if (SmallStorage)
            {
                options.MaxStorageBytes = 64 * 1024;
            }

            if (ShortTimeout)
            {
                options.RequestTimeout = TimeSpan.FromMilliseconds(30);
            }

            if (ZeroShutdown && _client is null)
            {
                options.ShutdownTimeout = TimeSpan.Zero;
            }

            return options;
        }

        private GrowlyticsClient? _client;

        public GrowlyticsClient Client => Volatile.Read(ref _client)!;

        public int Phase => Volatile.Read(ref _phase);

        public bool FirstShutDown { get; private set; }

        private void Watch(GrowlyticsClient client)
        {
            var throwing = _random.Next(3) == 0;
            client.MessageDropped += (_, e) =>
            {
                if (e.CustomerId is { } id && !id.StartsWith("uid-", StringComparison.Ordinal) && !id.StartsWith("cust-uid-", StringComparison.Ordinal))
                {
                    Problem("MessageDropped for a customer the app never used: " + id);
                }

                if (throwing)
                {
                    throw new InvalidOperationException("handler fails");
                }
            };
        }

        public void OpDone() => Interlocked.Increment(ref _opsDone);

        public int NextNumber() => Interlocked.Increment(ref _next);

        public void Record(Call call) => _calls[call.N] = call;

        public void SetDisk(bool full)
        {
            if (UseDisk)
            {
                Volatile.Write(ref _diskFull, full);
                _diskEverFull |= full;
            }
        }

        public void OptedOut()
        {
            _optedOutEver = true;
            _optOutRequests += Volatile.Read(ref _requests) + ";";
        }

        private string _optOutRequests = "";

        public void AppException(string what, Exception ex) => Problem($"exception into the app from {what}: {ex.GetType().Name}: {ex.Message}");

        private void Check()
        {
            var receipts = _receipts.ToArray();
            var phase1End = receipts.Where(r => r.Phase == 0).Select(r => r.Start).DefaultIfEmpty(long.MinValue).Max();

            // Every numbered message the collector got comes from a call the app made, for whom it was meant.
            foreach (var receipt in receipts)
            {
                if (!_calls.TryGetValue(receipt.N, out var call))
                {
                    Problem($"collector got call {receipt.N}, which the app never made (or which threw)");
                    continue;
                }

                if (call.ExpectedCustomer is { } customer && receipt.Customer != customer)
                {
                    Problem($"call {receipt.N} ({call.Kind}) expected for customer {customer} arrived as {receipt.Customer ?? "null"}");
                }

                if (call.ExpectedCustomer is null && Protocol == GrowlyticsProtocol.Rest && receipt.Customer?.StartsWith(call.Owner, StringComparison.Ordinal) != true)
                {
                    Problem($"anonymous push {receipt.N} of {call.Owner} arrived for customer {receipt.Customer ?? "null"}");
                }

                if (Protocol == GrowlyticsProtocol.Batch && call.ExpectedAnonymousId != receipt.AnonymousId)
                {
                    Problem($"call {receipt.N} ({call.Kind}) expected anonymous id {call.ExpectedAnonymousId ?? "null"}, arrived with {receipt.AnonymousId ?? "null"}");
                }
            }

            // Duplicates: a call accepted (200) more than once only after an ambiguous receipt, or across the restart.
            foreach (var group in receipts.GroupBy(r => r.N))
            {
                var accepted = group.Where(r => r.Status == 200).ToList();
                if (accepted.Count > 1)
                {
                    var ambiguous = group.Any(r => r.Status == 0);
                    var acrossRestart = accepted.Select(r => r.Phase).Distinct().Count() > 1 || group.Any(r => r.Phase == 0 && r.Start >= phase1End - 0);
                    if (!ambiguous && !acrossRestart && !ShortTimeout)
                    {
                        Problem($"call {group.Key} ({_calls.GetValueOrDefault(group.Key)?.Kind}) accepted {accepted.Count} times without an ambiguous receipt or a restart between: "
                            + string.Join(",", group.Select(r => $"req{r.Request}/p{r.Phase}/{r.Status}/{r.Customer}")) + $" optout at {_optOutRequests}");
                    }
                }
            }

            // Per-user order: first receipts follow call order (the disk failing over to memory may reorder: documented).
            if (!_diskEverFull)
            {
                var firsts = receipts.Where(r => r.Status is 200 or 0).OrderBy(r => r.Start).GroupBy(r => r.N).Select(g => g.First());
                foreach (var user in firsts.GroupBy(OrderKeyOf))
                {
                    var ordered = user.OrderBy(r => r.Start).ThenBy(r => r.N).ToList();
                    var latest = 0;
                    foreach (var receipt in ordered)
                    {
                        // REST: an upsert carries the pushes held for the login: order by the call that sent it.
                        if (receipt.N < latest && !(Protocol == GrowlyticsProtocol.Rest && _calls.TryGetValue(receipt.N, out var c) && c.ExpectedCustomer is null))
                        {
                            Problem($"order of {user.Key}: call {receipt.N} arrived after call {latest}");
                        }

                        latest = Math.Max(latest, receipt.N);
                    }
                }
            }

            // Logs: never a value, a user id or the key.
            foreach (var line in _logLines)
            {
                if (line.Contains("PII", StringComparison.Ordinal) || line.Contains(ApiKey, StringComparison.Ordinal) || line.Contains("uid-", StringComparison.Ordinal)
                    || line.Contains("cust-", StringComparison.Ordinal))
                {
                    Problem("log line with a value, an id or the key: " + line);
                }
            }

            foreach (var e in _events)
            {
                if (e.EventId is 2010 or 2012 or 2013 or 4010)
                {
                    Problem($"unexpected-error event {e.EventId}");
                }
            }

            // Each background fault logged once per interval, not per message.
            foreach (var group in _events.Where(e => e.Level >= LogLevel.Warning && e.EventId is not (2020 or 4003 or 4009 or 2009 or 6003 or 2016))
                         .GroupBy(e => (e.Phase, e.EventId)))
            {
                if (group.Count() > 3)
                {
                    Problem($"event {group.Key.EventId} logged {group.Count()} times in phase {group.Key.Phase}");
                }
            }

            var delivered = (First?.Delivered ?? 0) + (Second?.Delivered ?? 0);
            var acceptedCalls = receipts.Where(r => r.Status == 200).Select(r => r.N).ToHashSet();
            var lost = _calls.Keys.Count(n => !acceptedCalls.Contains(n));
            var accounted = (First?.Dropped ?? 0) + (Second?.Dropped ?? 0) + (Second?.Pending ?? 0) + Math.Max(0, (First?.Pending ?? 0) - (Second?.Restored ?? 0));
            if (lost > accounted)
            {
                var detail = string.Join(",", _calls.Values.Where(c => !acceptedCalls.Contains(c.N)).OrderBy(c => c.N).Take(40)
                    .Select(c => $"{c.N}:{c.Kind}/p{c.Phase}/{(c.ExpectedCustomer is null ? "anon" : "id")}/{(receipts.Any(r => r.N == c.N) ? "seen" : "unseen")}"));
                Problem($"{lost} calls never accepted by the collector, but only {accounted} dropped or pending ({Describe()}) lost: {detail}");
            }

            var acceptedReceipts = Protocol == GrowlyticsProtocol.Batch ? Interlocked.Read(ref _ackedMessages) : receipts.Count(r => r.Status == 200);
            if (acceptedReceipts < delivered)
            {
                Problem($"client counted {delivered} delivered, the collector accepted {acceptedReceipts}");
            }
        }

        private string OrderKeyOf(Receipt receipt) =>
            Protocol == GrowlyticsProtocol.Rest || receipt.AnonymousId is null ? "customer " + receipt.Customer : "session " + receipt.AnonymousId;

        // ---- the collector ----

        private int Port { get; set; }

        private async Task StartCollectorAsync()
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
            var app = builder.Build();
            app.MapPost("/events/sdk-batch", (RequestDelegate)(c => ReceiveAsync(c, batch: true)));
            app.MapPost("/rest-api/customer", (RequestDelegate)(c => ReceiveAsync(c, batch: false)));
            await app.StartAsync();
            Port = new Uri(app.Urls.First()).Port;
            _app = app;
        }

        private async Task StopCollectorAsync()
        {
            if (_app is { } app)
            {
                await app.StopAsync();
                await app.DisposeAsync();
            }
        }

        private (int Status, int? RetryAfter, bool Reset, TimeSpan Delay) NextFault()
        {
            lock (_faultGate)
            {
                var roll = _faults.NextDouble();
                var delay = _faults.Next(4) == 0 ? TimeSpan.FromMilliseconds(_faults.Next(1, 40)) : TimeSpan.Zero;
                if (roll >= FaultRate)
                {
                    return (200, null, false, delay);
                }

                return _faults.Next(4) switch
                {
                    0 => (503, null, false, delay),
                    1 => (429, _faults.Next(2), false, delay),
                    2 => (0, null, true, delay),
                    _ => (503, 1, false, delay),
                };
            }
        }

        private async Task ReceiveAsync(HttpContext context, bool batch)
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body, context.RequestAborted);
            var number = Interlocked.Increment(ref _requests);
            var start = System.Diagnostics.Stopwatch.GetTimestamp();
            if (context.Request.Headers["x-growlytics-key"] != ApiKey)
            {
                Problem("a request without the key");
                context.Response.StatusCode = 401;
                return;
            }

            var phase = Volatile.Read(ref _phase);
            var items = batch ? ReadBatch(body.ToArray()) : ReadRest(body.ToArray());
            var fault = NextFault();
            var aborted = false;
            if (fault.Delay > TimeSpan.Zero)
            {
                await Task.Delay(fault.Delay, context.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
                aborted = context.RequestAborted.IsCancellationRequested;
            }

            var status = fault.Reset || aborted ? 0 : fault.Status;
            foreach (var (n, customer, anonymousId) in items.Numbered)
            {
                _receipts.Enqueue(new Receipt(n, number, start, status, customer, anonymousId, phase));
            }

            if (status == 200)
            {
                Interlocked.Add(ref _ackedMessages, items.Messages);
                context.Response.ContentType = "application/json";
                await context.Response.WriteAsync(batch ? "{\"accepted\":1}" : "{\"success\":true}");
                return;
            }

            if (status == 0)
            {
                context.Abort();
                return;
            }

            context.Response.StatusCode = status;
            if (fault.RetryAfter is { } seconds)
            {
                context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
            }
        }

        private sealed record Items(int Messages, List<(int N, string? Customer, string? AnonymousId)> Numbered);

        private Items ReadBatch(byte[] body)
        {
            var numbered = new List<(int, string?, string?)>();
            var count = 0;
            foreach (var message in WireBody.BatchMessages(body))
            {
                count++;
                var anonymousId = message.TryGetProperty("anonymousId", out var a) && a.ValueKind == JsonValueKind.String ? a.GetString() : null;
                var userId = message.TryGetProperty("userId", out var u) && u.ValueKind == JsonValueKind.String ? u.GetString() : null;
                if (message.TryGetProperty("attributes", out var attributes))
                {
                    foreach (var attribute in attributes.EnumerateArray())
                    {
                        var name = attribute.GetProperty("name").GetString()!;
                        if (name.StartsWith('c') && int.TryParse(name.AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture, out var n))
                        {
                            numbered.Add((n, userId, anonymousId));
                        }
                    }
                }
            }

            return new Items(count, numbered);
        }

        private Items ReadRest(byte[] body)
        {
            var numbered = new List<(int, string?, string?)>();
            using var document = JsonDocument.Parse(Encoding.UTF8.GetString(body));
            var id = document.RootElement.GetProperty("id").GetString();
            foreach (var attribute in document.RootElement.GetProperty("attributes").EnumerateArray())
            {
                var name = attribute.GetProperty("name").GetString()!;
                if (name.StartsWith('c') && int.TryParse(name.AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture, out var n))
                {
                    numbered.Add((n, id, null));
                }
            }

            return new Items(numbered.Count, numbered);
        }

        // ---- logging ----

        private sealed class Logs(Scenario scenario) : ILoggerFactory, ILogger
        {
            public ILogger CreateLogger(string categoryName) => this;

            public void AddProvider(ILoggerProvider provider)
            {
            }

            public void Dispose()
            {
            }

            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                var line = $"{logLevel} {eventId.Id} {formatter(state, exception)} {exception}";
                if (state is IEnumerable<KeyValuePair<string, object?>> values)
                {
                    line += " " + string.Join(";", values.Select(v => $"{v.Key}={v.Value}"));
                }

                scenario._logLines.Enqueue(line);
                scenario._events.Enqueue((Volatile.Read(ref scenario._phase), eventId.Id, logLevel));
            }
        }

        // ---- the app ----

        private sealed class AppTask(Scenario scenario, int index, Random random)
        {
            private readonly string _owner = $"uid-t{index}-";
            private readonly bool _processWide = index == 0;

            public async Task RunAsync()
            {
                GrowlyticsClient? current = null;
                IDisposable? scope = null;
                string? anonymousId = null;
                string? userId = null;
                try
                {
                    for (var op = 0; op < scenario.OpsPerTask * 2; op++)
                    {
                        var client = scenario.Client;
                        if (client != current)
                        {
                            // The restart: this task's session goes on with the new client, as a cookie would carry it.
                            if (current is not null)
                            {
                                anonymousId = current.User.AnonymousId;
                                userId = current.User.UserId;
                                scope?.Dispose();
                            }

                            scope = _processWide ? null : client.BeginScope(anonymousId, userId);
                            current = client;
                        }

                        try
                        {
                            await OneAsync(client, scenario.Phase);
                        }
                        catch (ObjectDisposedException) when (_privacyCall && (client != scenario.Client || scenario.FirstShutDown))
                        {
                            // OptOut and OptIn on a client whose shutdown completed (documented).
                        }
                        catch (Exception ex)
                        {
                            scenario.AppException("a call", ex);
                        }

                        scenario.OpDone();
                        if (random.Next(5) == 0)
                        {
                            await Task.Delay(random.Next(1, 15));
                        }
                    }
                }
                catch (Exception ex)
                {
                    scenario.AppException("the task", ex);
                }
                finally
                {
                    scope?.Dispose();
                }
            }

            private bool _privacyCall;

            private async Task OneAsync(GrowlyticsClient client, int phase)
            {
                _privacyCall = false;
                var roll = random.Next(100);
                var user = client.User;
                if (roll < 45 || roll >= 93)
                {
                    var n = scenario.NextNumber();
                    scenario.Record(new Call(n, "push", "", user.UserId, user.AnonymousId, _owner, phase));
                    user.Push(Attributes(n));
                }
                else if (roll < 55)
                {
                    var n = scenario.NextNumber();
                    var id = _owner + random.Next(3);
                    scenario.Record(new Call(n, "identify", "", id, null, _owner, phase));
                    user.Identify(id, Attributes(n));
                    scenario.Record(new Call(n, "identify", "", id, user.AnonymousId, _owner, phase));
                }
                else if (roll < 62)
                {
                    user.Logout();
                }
                else if (roll < 72)
                {
                    var n = scenario.NextNumber();
                    var id = "cust-" + _owner + random.Next(3);
                    scenario.Record(new Call(n, "update", "", id, null, _owner, phase));
                    client.Customers.Update(id, Attributes(n));
                }
                else if (roll < 80)
                {
                    var n = scenario.NextNumber();
                    var id = "cust-" + _owner + random.Next(3);
                    scenario.Record(new Call(n, "updateAsync", "", id, null, _owner, phase));
                    using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                    try
                    {
                        await client.Customers.UpdateAsync(id, Attributes(n), cts.Token);
                    }
                    catch (OperationCanceledException) when (cts.IsCancellationRequested)
                    {
                    }
                }
                else if (roll < 85)
                {
                    using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(random.Next(50, 500)));
                    try
                    {
                        await client.FlushAsync(cts.Token);
                    }
                    catch (OperationCanceledException) when (cts.IsCancellationRequested)
                    {
                    }
                }
                else if (roll < 89)
                {
                    if (index == 1 && scenario.UseOptOut && (client.IsOptedOut || random.Next(3) == 0))
                    {
                        _privacyCall = true;
                        if (client.IsOptedOut)
                        {
                            client.OptIn();
                        }
                        else
                        {
                            scenario.OptedOut();
                            client.OptOut();
                        }
                    }
                }
                else
                {
                    scenario.SetDisk(random.Next(2) == 0);
                }
            }

            private static Dictionary<string, object?> Attributes(int n) => new()
            {
                ["c" + n.ToString(CultureInfo.InvariantCulture)] = n,
                ["secret"] = "PII-" + n.ToString(CultureInfo.InvariantCulture),
            };
        }
    }
}
