using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using RichardSzalay.MockHttp;

namespace GrowlyticsSdk.Tests.TestSupport;

/// <summary>
/// A real <see cref="GrowlyticsClient"/> wired to a MockHttp collector, a <see cref="FakeTimeProvider"/> and a
/// recording logger. The fake clock only moves when a test moves it; helpers advance it in small steps while
/// giving the background loop real time to run, and give up after <see cref="RealTimeout"/> of real time.
/// </summary>
internal sealed class DeliveryHarness : IAsyncDisposable
{
    public const string ApiKey = "gk_live_5ecret_k3y_never_logged";
    public const string SecretValue = "Secret-Value-Never-Logged";
    public static readonly TimeSpan RealTimeout = TimeSpan.FromSeconds(20);
    public static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private readonly ConcurrentQueue<DeliveryRequest> _requests = new();
    private readonly HttpClient _httpClient;
    private int _index;
    private int _concurrent;
    private int _maxConcurrent;

    /// <param name="configure">Changes to the options, before the client is made.</param>
    /// <param name="startDelivery">
    /// <see langword="false"/>: the delivery loop waits for <c>Client.Dispatcher.Start()</c>, so a test can record calls
    /// before it runs.
    /// </param>
    /// <param name="time">The fake clock (one of the test's own, say one that throws for a moment); a new one by default.</param>
    public DeliveryHarness(Action<GrowlyticsOptions>? configure = null, bool startDelivery = true, FakeTimeProvider? time = null)
    {
        Time = time ?? new FakeTimeProvider(Start);
        Http.When("*").Respond(HandleAsync);
        _httpClient = new HttpClient(new DeliveryFaultHandler(Http));
        Options = new GrowlyticsOptions
        {
            ApiKey = ApiKey,

            // These tests read the batch body; the REST protocol has tests of its own.
            Protocol = GrowlyticsProtocol.Batch,
            Endpoint = new Uri("https://collector.test/"),
            TimeProvider = Time,
            LoggerFactory = Log,
            HttpClient = _httpClient,
            SessionMode = SessionMode.ProcessWide,
            FlushOnProcessExit = false,

            // The clock runs ahead of a busy machine: long defaults keep a slow handler from looking like a timeout.
            RequestTimeout = TimeSpan.FromMinutes(10),
            RetryBudget = TimeSpan.FromHours(1),
        };
        configure?.Invoke(Options);
        Client = new GrowlyticsClient(Options, startDelivery);
    }

    public FakeTimeProvider Time { get; }

    public MockHttpMessageHandler Http { get; } = new();

    public DeliveryLog Log { get; } = new();

    public GrowlyticsOptions Options { get; }

    public GrowlyticsClient Client { get; }

    /// <summary>Gets or sets how the collector answers; the default accepts everything with 200.</summary>
    public Func<DeliveryRequest, Task<HttpResponseMessage>> Responder { get; set; } = _ => Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK));

    public IReadOnlyList<DeliveryRequest> Requests => _requests.OrderBy(r => r.Index).ToList();

    /// <summary>Gets the requests the collector accepted (2xx).</summary>
    public IEnumerable<DeliveryRequest> Accepted => Requests.Where(r => r.Status is >= 200 and < 300);

    public int MaxConcurrentRequests => Volatile.Read(ref _maxConcurrent);

    public static long NumberOf(JsonElement message) =>
        message.GetProperty("attributes").EnumerateArray().First(a => a.GetProperty("name").GetString() == "n").GetProperty("value").GetInt64();

    /// <summary>Answers with the given statuses in turn, then 200 for every later request.</summary>
    public void RespondInTurn(params HttpStatusCode[] statuses)
    {
        var script = new ConcurrentQueue<HttpStatusCode>(statuses);
        Responder = _ => Task.FromResult(new HttpResponseMessage(script.TryDequeue(out var status) ? status : HttpStatusCode.OK));
    }

    /// <summary>
    /// Runs <paramref name="test"/> with a client whose storage folder is held by another client: it delivers from memory
    /// and keeps what runs out of retries for later, as with storage.
    /// </summary>
    public static async Task WithStorageHeldByAnotherClientAsync(Action<GrowlyticsOptions> configure, Func<DeliveryHarness, Task> test)
    {
        var folder = Path.Combine(Path.GetTempPath(), "growlytics-tests", Guid.NewGuid().ToString("N"));
        try
        {
            await using var holder = new GrowlyticsClient(new GrowlyticsOptions
            {
                ApiKey = ApiKey,
                Endpoint = new Uri("https://collector.test/"),
                StorageDirectory = folder,
                FlushOnProcessExit = false,
            });
            await using var h = new DeliveryHarness(o =>
            {
                configure(o);
                o.StorageDirectory = folder;
            });
            await test(h);
        }
        finally
        {
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
    }

    /// <summary>Records one update numbered <paramref name="n"/>, for the given anonymous user or the process-wide one.</summary>
    public void Push(long n, string? anonymousId = null, string? text = null)
    {
        var attributes = new Dictionary<string, object?> { ["n"] = n };
        if (text is not null)
        {
            attributes["text"] = text;
        }

        if (anonymousId is null)
        {
            Client.User.Push(attributes);
            return;
        }

        using (Client.BeginScope(anonymousId))
        {
            Client.User.Push(attributes);
        }
    }

    public void PushMany(int count, int from = 0, string? text = null)
    {
        for (var i = from; i < from + count; i++)
        {
            Push(i, text: text);
        }
    }

    /// <summary>Runs <paramref name="task"/> to completion, advancing the fake clock by <paramref name="step"/> whenever it waits.</summary>
    public async Task RunAsync(Task task, TimeSpan? step = null)
    {
        var clock = Stopwatch.StartNew();
        while (!task.IsCompleted)
        {
            if (clock.Elapsed > RealTimeout)
            {
                throw new TimeoutException($"Still waiting after {RealTimeout} of real time (fake clock at +{Time.GetUtcNow() - Start}).");
            }

            await Task.Delay(1);
            Time.Advance(step ?? TimeSpan.FromMilliseconds(100));
        }

        await task;
    }

    public Task FlushAsync(TimeSpan? step = null) => RunAsync(Client.FlushAsync(), step);

    /// <summary>Advances the fake clock in steps until <paramref name="condition"/> holds.</summary>
    public async Task AdvanceUntilAsync(Func<bool> condition, TimeSpan? step = null)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > RealTimeout)
            {
                throw new TimeoutException($"Condition not met after {RealTimeout} of real time (fake clock at +{Time.GetUtcNow() - Start}).");
            }

            await Task.Delay(1);
            Time.Advance(step ?? TimeSpan.FromMilliseconds(100));
        }
    }

    /// <summary>Waits in real time, without moving the fake clock, until <paramref name="condition"/> holds.</summary>
    public static async Task WaitUntilAsync(Func<bool> condition)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > RealTimeout)
            {
                throw new TimeoutException($"Condition not met after {RealTimeout} of real time.");
            }

            await Task.Delay(2);
        }
    }

    /// <summary>
    /// Waits in real time until the warnings the client's calls triggered so far are written (on the thread pool, not on
    /// the caller's thread): then a line that should not be there is found, not missed.
    /// </summary>
    public Task CallLinesWrittenAsync() => WaitUntilAsync(() => Client.CallLinesWritten);

    /// <summary>
    /// Asserts enqueued = delivered + dropped + pending, and that no log line (the warnings calls triggered written first)
    /// carries the key or a secret value.
    /// </summary>
    public GrowlyticsStatistics AssertBalanced()
    {
        SpinWait.SpinUntil(() => Client.CallLinesWritten, RealTimeout).Should().BeTrue("the warnings calls triggered are written");
        var stats = Client.Statistics;
        stats.Enqueued.Should().Be(stats.Delivered + stats.Dropped + stats.Pending, "every accepted message is delivered, dropped or pending");
        stats.Dropped.Should().Be(stats.DroppedByReason.Values.Sum());
        Log.Entries.Should().NotContain(e => e.Everything.Contains(ApiKey, StringComparison.Ordinal) || e.Everything.Contains(SecretValue, StringComparison.Ordinal));
        return stats;
    }

    public async ValueTask DisposeAsync()
    {
        await RunAsync(Client.ShutdownAsync());
        _httpClient.Dispose();
    }

    private async Task<HttpResponseMessage> HandleAsync(HttpRequestMessage message)
    {
        var concurrent = Interlocked.Increment(ref _concurrent);
        InterlockedMax(ref _maxConcurrent, concurrent);
        try
        {
            var request = await DeliveryRequest.ReadAsync(Interlocked.Increment(ref _index), Time.GetUtcNow(), message);
            _requests.Enqueue(request);
            try
            {
                var response = await Responder(request);
                request.Status = (int)response.StatusCode;
                return response;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                return new DeliveryFaultResponse(ex);
            }
        }
        finally
        {
            Interlocked.Decrement(ref _concurrent);
        }
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int current;
        while ((current = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, current) != current)
        {
        }
    }
}
