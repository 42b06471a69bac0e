using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;

namespace GrowlyticsSdk.IntegrationTests.Security;

/// <summary>One request as a <see cref="RecordingServer"/> saw it (header names in lower case).</summary>
public sealed record RecordedRequest(string Method, string PathAndQuery, IReadOnlyDictionary<string, string> Headers, long BodyBytes)
{
    /// <summary>Gets the request's HTTP version as Kestrel saw it (<c>HTTP/1.1</c>, <c>HTTP/2</c>).</summary>
    public string Protocol { get; init; } = "HTTP/1.1";
}

/// <summary>
/// A Kestrel listener on a loopback address that records every request on any path and answers with
/// <see cref="Respond"/> (by default 200). Used as the endpoint that redirects and as the "other host" a redirect points
/// to, which must never hear from the SDK.
/// </summary>
public sealed class RecordingServer : IAsyncDisposable
{
    private readonly ConcurrentQueue<RecordedRequest> _requests = new();
    private WebApplication? _app;

    private RecordingServer(IPAddress address) => Address = address;

    public IPAddress Address { get; }

    public int Port { get; private set; }

    public Uri BaseUri => new($"http://{Address}:{Port}/");

    public IReadOnlyList<RecordedRequest> Requests => [.. _requests];

    /// <summary>Gets or sets the answer to each request; the body has been read by then.</summary>
    public Func<HttpContext, Task> Respond { get; set; } = context =>
    {
        context.Response.StatusCode = 200;
        return Task.CompletedTask;
    };

    /// <summary>Starts a listener on <paramref name="address"/>, plain <c>http</c>, speaking <paramref name="protocols"/> (HTTP/1.1 by default; HTTP/2 alone is h2c with prior knowledge).</summary>
    public static async Task<RecordingServer> StartAsync(IPAddress address, HttpProtocols protocols = HttpProtocols.Http1)
    {
        var server = new RecordingServer(address);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(address, 0, listen => listen.Protocols = protocols));
        var app = builder.Build();
        app.Run(server.ReceiveAsync);
        await app.StartAsync();
        server.Port = new Uri(app.Urls.First()).Port;
        server._app = app;
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is { } app)
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    private async Task ReceiveAsync(HttpContext context)
    {
        using var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body, context.RequestAborted);
        var headers = context.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString());
        _requests.Enqueue(new RecordedRequest(context.Request.Method, context.Request.Path + context.Request.QueryString, headers, body.Length) { Protocol = context.Request.Protocol });
        await Respond(context);
    }
}
