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
/// A minimal Growlytics collector on Kestrel, bound to 127.0.0.1 only, speaking both wire protocols
/// (docs/wire-protocol.md): <c>POST /rest-api/customer</c>, Growlytics' documented customer API (one customer per
/// request, <c>200 {"success":true}</c>, a Joi-style <c>422</c> on invalid input), and <c>POST /events/sdk-batch</c>, the
/// SDK's batch body (gzip, <c>200 {"accepted": n}</c>). Both require an <c>x-growlytics-key</c> header. <c>GET /received</c> lists the
/// messages received so far. For local runs and demos; it keeps everything in memory.
/// </summary>
public sealed class LocalCollector : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly Action<BatchDto>? _onBatch;
    private readonly ConcurrentQueue<BatchDto> _batches = new();
    private readonly ConcurrentQueue<ReceivedRequest> _requests = new();
    private readonly ConcurrentQueue<JsonElement> _customers = new();
    private Action<ReceivedRequest>? _onRequest;

    private LocalCollector(WebApplication app, Action<BatchDto>? onBatch)
    {
        _app = app;
        _onBatch = onBatch;
    }

    /// <summary>Gets the base address to give the SDK, e.g. <c>http://127.0.0.1:5080/</c>.</summary>
    public Uri Endpoint { get; private set; } = null!;

    /// <summary>Gets the batches received so far, in arrival order.</summary>
    public IReadOnlyList<BatchDto> Batches => [.. _batches];

    /// <summary>Gets every request received so far (both endpoints, accepted or not), in arrival order.</summary>
    public IReadOnlyList<ReceivedRequest> Requests => [.. _requests];

    /// <summary>Gets the accepted <c>/rest-api/customer</c> bodies, in arrival order.</summary>
    public IReadOnlyList<JsonElement> Customers => [.. _customers];

    /// <summary>
    /// Gets the messages received so far, in arrival order per endpoint: batch messages, then each accepted REST upsert as
    /// an <c>upsert</c> message with its customer id as <see cref="MessageDto.UserId"/>.
    /// </summary>
    public IReadOnlyList<MessageDto> Messages => [.. _batches.SelectMany(b => b.Messages ?? []), .. _customers.Select(ToMessage)];

    private static MessageDto ToMessage(JsonElement upsert) => new(
        "upsert",
        string.Empty,
        0,
        null,
        upsert.GetProperty("id").GetString(),
        [.. upsert.GetProperty("attributes").EnumerateArray().Select(a => new AttributeDto(a.GetProperty("name").GetString()!, a.GetProperty("type").GetString()!, a.GetProperty("value").Clone()))]);

    /// <summary>Starts a collector on 127.0.0.1.</summary>
    /// <param name="port">The port, or 0 for a free one.</param>
    /// <param name="onBatch">Called with each accepted batch, on the request's thread.</param>
    /// <param name="onRequest">Called with each request (either endpoint), on the request's thread.</param>
    public static async Task<LocalCollector> StartAsync(int port = 0, Action<BatchDto>? onBatch = null, Action<ReceivedRequest>? onRequest = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Services.Configure<ConsoleLifetimeOptions>(o => o.SuppressStatusMessages = true);
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, port));
        var app = builder.Build();
        var collector = new LocalCollector(app, onBatch) { _onRequest = onRequest };
        app.MapPost("/events/sdk-batch", (RequestDelegate)collector.ReceiveAsync);
        app.MapPost("/rest-api/customer", (RequestDelegate)collector.ReceiveCustomerAsync);

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
            await RefuseAndRecordAsync(context, StatusCodes.Status401Unauthorized, "missing x-growlytics-key header");
            return;
        }

        if (!string.Equals(request.Headers.ContentEncoding, "gzip", StringComparison.OrdinalIgnoreCase))
        {
            await RefuseAndRecordAsync(context, StatusCodes.Status415UnsupportedMediaType, "the body must be gzip (Content-Encoding: gzip)");
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
            await RefuseAndRecordAsync(context, StatusCodes.Status400BadRequest, "the body is not a gzip JSON batch");
            return;
        }

        if (batch?.Messages is null)
        {
            await RefuseAndRecordAsync(context, StatusCodes.Status400BadRequest, "the batch has no messages array");
            return;
        }

        _batches.Enqueue(batch);
        Record(request.Path, StatusCodes.Status200OK, JsonSerializer.Serialize(batch, CollectorJsonContext.Default.BatchDto));
        _onBatch?.Invoke(batch);
        await Results.Json(new AcceptedDto(batch.Messages.Count), CollectorJsonContext.Default.AcceptedDto).ExecuteAsync(context);
    }

    private async Task ReceiveCustomerAsync(HttpContext context)
    {
        var request = context.Request;
        if (string.IsNullOrEmpty(request.Headers["x-growlytics-key"]))
        {
            Record(request.Path, StatusCodes.Status401Unauthorized, string.Empty);
            await RefuseAsync(context, StatusCodes.Status401Unauthorized, "missing x-growlytics-key header");
            return;
        }

        JsonElement body;
        try
        {
            using var document = await JsonDocument.ParseAsync(request.Body, cancellationToken: context.RequestAborted);
            body = document.RootElement.Clone();
        }
        catch (JsonException)
        {
            Record(request.Path, StatusCodes.Status400BadRequest, string.Empty);
            await RefuseAsync(context, StatusCodes.Status400BadRequest, "the body is not JSON");
            return;
        }

        if (CustomerValidation.Validate(body) is { } problem)
        {
            Record(request.Path, StatusCodes.Status422UnprocessableEntity, body.GetRawText());
            var error = new ValidationErrorDto("ValidationError", [problem]);
            await Results.Json(error, CollectorJsonContext.Default.ValidationErrorDto, statusCode: StatusCodes.Status422UnprocessableEntity).ExecuteAsync(context);
            return;
        }

        _customers.Enqueue(body);
        Record(request.Path, StatusCodes.Status200OK, body.GetRawText());
        await Results.Json(new SuccessDto(true), CollectorJsonContext.Default.SuccessDto).ExecuteAsync(context);
    }

    private void Record(PathString path, int status, string body)
    {
        var received = new ReceivedRequest(path.Value ?? string.Empty, status, body);
        _requests.Enqueue(received);
        _onRequest?.Invoke(received);
    }

    // A refused batch is listed and printed like any other request (its body is not shown: it may not be readable).
    private Task RefuseAndRecordAsync(HttpContext context, int status, string error)
    {
        Record(context.Request.Path, status, string.Empty);
        return RefuseAsync(context, status, error);
    }

    private static Task RefuseAsync(HttpContext context, int status, string error) =>
        Results.Json(new ErrorDto(error), CollectorJsonContext.Default.ErrorDto, statusCode: status).ExecuteAsync(context);
}
