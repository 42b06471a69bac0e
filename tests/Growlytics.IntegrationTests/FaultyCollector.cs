using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text.Json;
using GrowlyticsSdk.TestSupport;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace GrowlyticsSdk.IntegrationTests;

/// <summary>What the collector does with one request.</summary>
public sealed record Fault(int Status, int? RetryAfterSeconds = null, bool Reset = false, bool Slow = false, TimeSpan Delay = default)
{
    /// <summary>Accepts the batch: 200.</summary>
    public static readonly Fault None = new(200);

    /// <summary>Reads and stores the batch, then aborts the connection: the client cannot know the batch arrived.</summary>
    public static readonly Fault ResetAfterRead = new(0, Reset: true);

    /// <summary>Reads and stores the batch, then answers later than any client waits, and never with a success.</summary>
    public static readonly Fault SlowResponse = new(0, Slow: true);

    public static Fault Http(int status, int? retryAfterSeconds = null) => new(status, retryAfterSeconds);

    /// <summary>Answers <paramref name="status"/> (200 by default) after <paramref name="delay"/>: a slow but working service.</summary>
    public static Fault Delayed(TimeSpan delay, int status = 200, int? retryAfterSeconds = null) => new(status, retryAfterSeconds, Delay: delay);
}

/// <summary>One message of a request, in the order the request carried it.</summary>
public sealed record ReceivedMessage(string MessageId, string? AnonymousId, string? N);

/// <summary>
/// One request as the collector saw it: when its handler started and when it decided its answer (before the client
/// could see it), the answer (0: reset or no answer), and its messages in order.
/// </summary>
public sealed record RequestRecord(int Number, long Start, long End, int Status, IReadOnlyList<ReceivedMessage> Messages);

/// <summary>One request as the fault script sees it: its 1-based number and its gzip body size.</summary>
public sealed record CollectorRequest(int Number, int BodyBytes);

/// <summary>
/// A batch collector on real Kestrel at 127.0.0.1 that follows a fault script. It counts every receipt of every
/// <c>messageId</c>: acknowledged (the client got a 200) or ambiguous (stored, but the client got no answer).
/// Rejected requests (4xx/5xx) store nothing. It can be stopped and started again on the same port.
/// </summary>
public sealed class FaultyCollector : IAsyncDisposable
{
    public const string ApiKey = "integration-test-key";
    private readonly ConcurrentDictionary<string, int> _acknowledged = new();
    private readonly ConcurrentDictionary<string, int> _ambiguous = new();
    private readonly ConcurrentDictionary<string, string> _numbers = new();
    private readonly ConcurrentQueue<(int Number, long Timestamp)> _arrivals = new();
    private readonly ConcurrentQueue<RequestRecord> _log = new();
    private int _inFlight;
    private int _maxInFlight;
    private CancellationTokenSource _stopping = new();
    private WebApplication? _app;
    private int _requests;
    private int _failed;
    private int _acknowledgedBatches;

    public Func<CollectorRequest, Fault> Script { get; set; } = _ => Fault.None;

    public int Port { get; private set; }

    public Uri Endpoint => new($"http://127.0.0.1:{Port}/");

    public int Requests => Volatile.Read(ref _requests);

    /// <summary>Gets the requests that did not end in a 200 (statuses, resets, slow responses).</summary>
    public int FailedRequests => Volatile.Read(ref _failed);

    public int AcknowledgedBatches => Volatile.Read(ref _acknowledgedBatches);

    /// <summary>Gets messageId → how many times it arrived in a request answered 200.</summary>
    public IReadOnlyDictionary<string, int> Acknowledged => _acknowledged;

    /// <summary>Gets messageId → how many times it arrived in a request the client got no answer to.</summary>
    public IReadOnlyDictionary<string, int> Ambiguous => _ambiguous;

    /// <summary>Gets the value of each stored message's <c>n</c> attribute, by messageId.</summary>
    public IReadOnlyDictionary<string, string> Numbers => _numbers;

    public IReadOnlyList<(int Number, long Timestamp)> Arrivals => [.. _arrivals];

    /// <summary>Gets every request with a valid key, with its timing and messages, in the order their answers were decided.</summary>
    public IReadOnlyList<RequestRecord> RequestLog => [.. _log];

    /// <summary>Gets the requests being handled now (from the handler's start until its answer is decided).</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>Gets the most requests handled at once since the start or <see cref="ResetMaxInFlight"/>.</summary>
    public int MaxInFlight => Volatile.Read(ref _maxInFlight);

    /// <summary>Starts a new observation window for <see cref="MaxInFlight"/>.</summary>
    public void ResetMaxInFlight() => Volatile.Write(ref _maxInFlight, InFlight);

    /// <summary>Gets the method, path and headers of the latest request (header names in lower case).</summary>
    public IReadOnlyDictionary<string, string> LastRequest { get; private set; } = new Dictionary<string, string>();

    public static async Task<FaultyCollector> StartAsync()
    {
        var collector = new FaultyCollector();
        await collector.StartAsync(0);
        return collector;
    }

    /// <summary>Starts again on the same port after <see cref="StopAsync"/>.</summary>
    public Task RestartAsync() => StartAsync(Port);

    /// <summary>Stops listening: the server is down (connections refused) until <see cref="RestartAsync"/>.</summary>
    public async Task StopAsync()
    {
        var app = Interlocked.Exchange(ref _app, null);
        if (app is null)
        {
            return;
        }

        await _stopping.CancelAsync();
        await app.StopAsync();
        await app.DisposeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _stopping.Dispose();
    }

    private async Task StartAsync(int port)
    {
        _stopping = new CancellationTokenSource();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, port));
        var app = builder.Build();
        app.MapPost("/events/sdk-batch", (RequestDelegate)ReceiveAsync);
        await app.StartAsync();
        Port = new Uri(app.Urls.First()).Port;
        _app = app;
    }

    private async Task ReceiveAsync(HttpContext context)
    {
        var start = Stopwatch.GetTimestamp();
        var inFlight = Interlocked.Increment(ref _inFlight);
        var max = Volatile.Read(ref _maxInFlight);
        while (inFlight > max && Interlocked.CompareExchange(ref _maxInFlight, inFlight, max) != max)
        {
            max = Volatile.Read(ref _maxInFlight);
        }

        var answered = false;
        try
        {
            answered = await HandleAsync(context, start, () =>
            {
                // Called once the answer is decided and before the client can see it: a request the client sends
                // after reading this answer starts after this point.
                Interlocked.Decrement(ref _inFlight);
                answered = true;
                return Stopwatch.GetTimestamp();
            });
        }
        finally
        {
            if (!answered)
            {
                Interlocked.Decrement(ref _inFlight);
            }
        }
    }

    private async Task<bool> HandleAsync(HttpContext context, long start, Func<long> decided)
    {
        using var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body, context.RequestAborted);
        var number = Interlocked.Increment(ref _requests);
        LastRequest = context.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString())
            .Append(new("method", context.Request.Method)).Append(new("path", context.Request.Path.Value ?? ""))
            .ToDictionary();
        _arrivals.Enqueue((number, Stopwatch.GetTimestamp()));
        if (context.Request.Headers["x-growlytics-key"] != ApiKey)
        {
            decided();
            Interlocked.Increment(ref _failed);
            context.Response.StatusCode = 401;
            return true;
        }

        var messages = Parse(body);
        var fault = Script(new CollectorRequest(number, (int)body.Length));
        var aborted = false;
        if (fault.Delay > TimeSpan.Zero)
        {
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, _stopping.Token);
            await Task.Delay(fault.Delay, linked.Token).ContinueWith(_ => { }, TaskScheduler.Default);
            aborted = linked.IsCancellationRequested;
        }

        if (fault.Status is not (0 or 200))
        {
            _log.Enqueue(new RequestRecord(number, start, decided(), fault.Status, messages));
            Interlocked.Increment(ref _failed);
            context.Response.StatusCode = fault.Status;
            if (fault.RetryAfterSeconds is { } seconds)
            {
                context.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }

            return true;
        }

        // A 200 the client can no longer receive (it gave up, or died) is a delivery it cannot know of.
        var acknowledged = fault.Status == 200 && !aborted;
        Store(messages, acknowledged ? _acknowledged : _ambiguous);
        _log.Enqueue(new RequestRecord(number, start, decided(), acknowledged ? 200 : 0, messages));
        if (acknowledged)
        {
            Interlocked.Increment(ref _acknowledgedBatches);
            await context.Response.WriteAsJsonAsync(new { accepted = messages.Count });
            return true;
        }

        Interlocked.Increment(ref _failed);
        if (fault.Slow)
        {
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, _stopping.Token);
            await Task.Delay(TimeSpan.FromSeconds(30), linked.Token).ContinueWith(_ => { }, TaskScheduler.Default);
        }

        context.Abort();
        return true;
    }

    private static List<ReceivedMessage> Parse(MemoryStream body)
    {
        var messages = new List<ReceivedMessage>();
        foreach (var message in WireBody.BatchMessages(body.ToArray()))
        {
            var id = message.GetProperty("messageId").GetString()!;
            var anonymousId = message.TryGetProperty("anonymousId", out var anonymous) && anonymous.ValueKind == JsonValueKind.String ? anonymous.GetString() : null;
            string? n = null;
            if (message.TryGetProperty("attributes", out var attributes))
            {
                foreach (var attribute in attributes.EnumerateArray().Where(a => a.GetProperty("name").GetString() == "n"))
                {
                    n = attribute.GetProperty("value").GetRawText();
                }
            }

            messages.Add(new ReceivedMessage(id, anonymousId, n));
        }

        return messages;
    }

    private void Store(List<ReceivedMessage> messages, ConcurrentDictionary<string, int> receipts)
    {
        foreach (var message in messages)
        {
            receipts.AddOrUpdate(message.MessageId, 1, (_, n) => n + 1);
            if (message.N is { } n)
            {
                _numbers[message.MessageId] = n;
            }
        }
    }
}
