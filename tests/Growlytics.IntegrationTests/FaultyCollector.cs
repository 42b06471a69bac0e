using System.Collections.Concurrent;
using System.Diagnostics;
using System.IO.Compression;
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace GrowlyticsSdk.IntegrationTests;

/// <summary>What the collector does with one request.</summary>
public sealed record Fault(int Status, int? RetryAfterSeconds = null, bool Reset = false, bool Slow = false)
{
    /// <summary>Accepts the batch: 200.</summary>
    public static readonly Fault None = new(200);

    /// <summary>Reads and stores the batch, then aborts the connection: the client cannot know the batch arrived.</summary>
    public static readonly Fault ResetAfterRead = new(0, Reset: true);

    /// <summary>Reads and stores the batch, then answers later than any client waits, and never with a success.</summary>
    public static readonly Fault SlowResponse = new(0, Slow: true);

    public static Fault Http(int status, int? retryAfterSeconds = null) => new(status, retryAfterSeconds);
}

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
        using var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body, context.RequestAborted);
        var number = Interlocked.Increment(ref _requests);
        LastRequest = context.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString())
            .Append(new("method", context.Request.Method)).Append(new("path", context.Request.Path.Value ?? ""))
            .ToDictionary();
        _arrivals.Enqueue((number, Stopwatch.GetTimestamp()));
        var fault = context.Request.Headers["x-growlytics-key"] == ApiKey ? Script(new CollectorRequest(number, (int)body.Length)) : Fault.Http(401);
        if (fault.Status is not (0 or 200))
        {
            Interlocked.Increment(ref _failed);
            context.Response.StatusCode = fault.Status;
            if (fault.RetryAfterSeconds is { } seconds)
            {
                context.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }

            return;
        }

        var ids = Store(body, fault.Status == 200 ? _acknowledged : _ambiguous);
        if (fault.Status == 200)
        {
            Interlocked.Increment(ref _acknowledgedBatches);
            await context.Response.WriteAsJsonAsync(new { accepted = ids });
            return;
        }

        Interlocked.Increment(ref _failed);
        if (fault.Slow)
        {
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, _stopping.Token);
            await Task.Delay(TimeSpan.FromSeconds(30), linked.Token).ContinueWith(_ => { }, TaskScheduler.Default);
        }

        context.Abort();
    }

    private int Store(MemoryStream body, ConcurrentDictionary<string, int> receipts)
    {
        body.Position = 0;
        using var gzip = new GZipStream(body, CompressionMode.Decompress);
        using var document = JsonDocument.Parse(gzip);
        var count = 0;
        foreach (var message in document.RootElement.GetProperty("messages").EnumerateArray())
        {
            var id = message.GetProperty("messageId").GetString()!;
            receipts.AddOrUpdate(id, 1, (_, n) => n + 1);
            count++;
            if (!message.TryGetProperty("attributes", out var attributes))
            {
                continue;
            }

            foreach (var attribute in attributes.EnumerateArray().Where(a => a.GetProperty("name").GetString() == "n"))
            {
                _numbers[id] = attribute.GetProperty("value").GetRawText();
            }
        }

        return count;
    }
}
