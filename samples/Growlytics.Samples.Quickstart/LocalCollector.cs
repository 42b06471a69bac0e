using System.Collections.Concurrent;
using System.IO.Compression;
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace GrowlyticsSamples.Quickstart;

/// <summary>
/// A minimal Growlytics batch collector on Kestrel, bound to 127.0.0.1 only. It accepts
/// <c>POST /events/sdk-batch</c> with a gzip JSON body and an <c>x-growlytics-key</c> header, records each
/// batch and answers <c>200 {"accepted": n}</c>; <c>GET /received</c> lists the messages received so far.
/// For local runs and demos; it keeps everything in memory.
/// </summary>
public sealed class LocalCollector : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly Action<BatchDto>? _onBatch;
    private readonly ConcurrentQueue<BatchDto> _batches = new();

    private LocalCollector(WebApplication app, Action<BatchDto>? onBatch)
    {
        _app = app;
        _onBatch = onBatch;
    }

    /// <summary>Gets the base address to give the SDK, e.g. <c>http://127.0.0.1:5080/</c>.</summary>
    public Uri Endpoint { get; private set; } = null!;

    /// <summary>Gets the batches received so far, in arrival order.</summary>
    public IReadOnlyList<BatchDto> Batches => [.. _batches];

    /// <summary>Gets the messages received so far, in arrival order.</summary>
    public IReadOnlyList<MessageDto> Messages => [.. _batches.SelectMany(b => b.Messages ?? [])];

    /// <summary>Starts a collector on 127.0.0.1.</summary>
    /// <param name="port">The port, or 0 for a free one.</param>
    /// <param name="onBatch">Called with each accepted batch, on the request's thread.</param>
    public static async Task<LocalCollector> StartAsync(int port = 0, Action<BatchDto>? onBatch = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Services.Configure<ConsoleLifetimeOptions>(o => o.SuppressStatusMessages = true);
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, port));
        var app = builder.Build();
        var collector = new LocalCollector(app, onBatch);
        app.MapPost("/events/sdk-batch", (RequestDelegate)collector.ReceiveAsync);

        // What arrived so far, for scripts that assert on it (.ci/consumer-tests.sh).
        app.MapGet("/received", () => Results.Json(collector.Messages, CollectorJsonContext.Default.IReadOnlyListMessageDto));
        await app.StartAsync();
        collector.Endpoint = new Uri(app.Urls.First().TrimEnd('/') + "/");
        return collector;
    }

    /// <summary>Completes when the process is asked to stop (Ctrl+C, SIGTERM).</summary>
    public Task WaitForShutdownAsync() => _app.WaitForShutdownAsync();

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task ReceiveAsync(HttpContext context)
    {
        var request = context.Request;
        if (string.IsNullOrEmpty(request.Headers["x-growlytics-key"]))
        {
            await RefuseAsync(context, StatusCodes.Status401Unauthorized, "missing x-growlytics-key header");
            return;
        }

        if (!string.Equals(request.Headers.ContentEncoding, "gzip", StringComparison.OrdinalIgnoreCase))
        {
            await RefuseAsync(context, StatusCodes.Status415UnsupportedMediaType, "the body must be gzip (Content-Encoding: gzip)");
            return;
        }

        BatchDto? batch;
        try
        {
            await using var body = new GZipStream(request.Body, CompressionMode.Decompress);
            batch = await JsonSerializer.DeserializeAsync(body, CollectorJsonContext.Default.BatchDto, context.RequestAborted);
        }
        catch (Exception ex) when (ex is JsonException or InvalidDataException)
        {
            await RefuseAsync(context, StatusCodes.Status400BadRequest, "the body is not a gzip JSON batch");
            return;
        }

        if (batch?.Messages is null)
        {
            await RefuseAsync(context, StatusCodes.Status400BadRequest, "the batch has no messages array");
            return;
        }

        _batches.Enqueue(batch);
        _onBatch?.Invoke(batch);
        await Results.Json(new AcceptedDto(batch.Messages.Count), CollectorJsonContext.Default.AcceptedDto).ExecuteAsync(context);
    }

    private static Task RefuseAsync(HttpContext context, int status, string error) =>
        Results.Json(new ErrorDto(error), CollectorJsonContext.Default.ErrorDto, statusCode: status).ExecuteAsync(context);
}
