using System.Collections.Concurrent;
using System.Text.Json;
using GrowlyticsSdk.TestSupport;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace GrowlyticsSdk.AspNetCore.Tests;

/// <summary>
/// A Growlytics collector on real Kestrel at 127.0.0.1 that records every message it receives: batch messages
/// (<c>POST /events/sdk-batch</c>) and REST upserts (<c>POST /rest-api/customer</c>, id and attributes as raw JSON
/// values, answered <c>200 {"success":true}</c>), in arrival order.
/// </summary>
public sealed class RecordingCollector : IAsyncDisposable
{
    /// <summary>The API key the collector accepts.</summary>
    public const string ApiKey = "test-key";

    private readonly WebApplication _app;

    private RecordingCollector(WebApplication app) => _app = app;

    public ConcurrentQueue<ReceivedMessage> Messages { get; } = new();

    public ConcurrentQueue<RestUpsert> Upserts { get; } = new();

    public Uri Endpoint { get; private set; } = null!;

    public static async Task<RecordingCollector> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var collector = new RecordingCollector(app);
        app.MapPost("/events/sdk-batch", (Delegate)collector.ReceiveAsync);
        app.MapPost("/rest-api/customer", (Delegate)collector.ReceiveUpsertAsync);
        await app.StartAsync();
        collector.Endpoint = new Uri(app.Urls.First() + "/");
        return collector;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task<IResult> ReceiveAsync(HttpContext context)
    {
        if (context.Request.Headers["x-growlytics-key"] != ApiKey)
        {
            return Results.StatusCode(401);
        }

        foreach (var message in WireBody.BatchMessages(await WireBody.ReadAllAsync(context.Request.Body)))
        {
            Messages.Enqueue(new ReceivedMessage(
                message.GetProperty("type").GetString()!,
                message.GetProperty("messageId").GetString()!,
                message.GetProperty("anonymousId").GetString()!,
                message.GetProperty("userId").GetString(),
                WireBody.Attributes(message)));
        }

        return Results.Ok();
    }

    private async Task<IResult> ReceiveUpsertAsync(HttpContext context)
    {
        if (context.Request.Headers["x-growlytics-key"] != ApiKey)
        {
            return Results.StatusCode(401);
        }

        using var document = await JsonDocument.ParseAsync(context.Request.Body);
        var root = document.RootElement;
        Upserts.Enqueue(new RestUpsert(
            root.GetProperty("id").GetString()!,
            root.GetProperty("attributes").EnumerateArray().ToDictionary(a => a.GetProperty("name").GetString()!, a => a.GetProperty("value").GetRawText())));
        return Results.Json(new { success = true });
    }
}

public sealed record ReceivedMessage(string Type, string MessageId, string AnonymousId, string? UserId, IReadOnlyDictionary<string, string> Attributes);
