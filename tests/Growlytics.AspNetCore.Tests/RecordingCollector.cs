using System.Collections.Concurrent;
using GrowlyticsSdk.TestSupport;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace GrowlyticsSdk.AspNetCore.Tests;

/// <summary>A Growlytics batch collector on real Kestrel at 127.0.0.1 that records every message it receives.</summary>
public sealed class RecordingCollector : IAsyncDisposable
{
    private readonly WebApplication _app;

    private RecordingCollector(WebApplication app) => _app = app;

    public ConcurrentQueue<ReceivedMessage> Messages { get; } = new();

    public Uri Endpoint { get; private set; } = null!;

    public static async Task<RecordingCollector> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var collector = new RecordingCollector(app);
        app.MapPost("/events/sdk-batch", (Delegate)collector.ReceiveAsync);
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
        if (context.Request.Headers["x-growlytics-key"] != "test-key")
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
}

public sealed record ReceivedMessage(string Type, string MessageId, string AnonymousId, string? UserId, IReadOnlyDictionary<string, string> Attributes);
