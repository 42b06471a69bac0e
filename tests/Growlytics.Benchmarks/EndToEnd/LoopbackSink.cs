using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Growlytics.Benchmarks.EndToEnd;

/// <summary>
/// The least a collector can do: a Kestrel server on 127.0.0.1 that reads each request body, discards it,
/// counts the request and its bytes, and answers 200.
/// </summary>
internal sealed class LoopbackSink : IAsyncDisposable
{
    private readonly WebApplication _app;
    private long _requests;
    private long _bytes;

    private LoopbackSink(WebApplication app) => _app = app;

    public Uri Address { get; private set; } = null!;

    public long Requests => Interlocked.Read(ref _requests);

    public long Bytes => Interlocked.Read(ref _bytes);

    /// <summary>
    /// Gets or sets how many requests in every ten the sink refuses with 503, spread evenly and the same in every run
    /// (request <c>i</c> fails when <c>(3 * i) % 10</c> is below it). 0: every request succeeds.
    /// </summary>
    public int FailuresPerTen { get; set; }

    /// <summary>Gets or sets an added delay before each answer (a service some way off).</summary>
    public TimeSpan Latency { get; set; }

    private long _index;

    public static async Task<LoopbackSink> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var sink = new LoopbackSink(builder.Build());
        sink._app.Run(sink.HandleAsync);
        await sink._app.StartAsync().ConfigureAwait(false);
        var address = sink._app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        sink.Address = new Uri(address.EndsWith('/') ? address : address + "/");
        return sink;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }

    private async Task HandleAsync(HttpContext context)
    {
        var reader = context.Request.BodyReader;
        long bytes = 0;
        while (true)
        {
            var read = await reader.ReadAsync(context.RequestAborted).ConfigureAwait(false);
            bytes += read.Buffer.Length;
            reader.AdvanceTo(read.Buffer.End);
            if (read.IsCompleted)
            {
                break;
            }
        }

        if (Latency > TimeSpan.Zero)
        {
            await Task.Delay(Latency).ConfigureAwait(false);
        }

        var index = Interlocked.Increment(ref _index);
        if ((3 * index) % 10 < FailuresPerTen)
        {
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            return;
        }

        Interlocked.Increment(ref _requests);
        Interlocked.Add(ref _bytes, bytes);
        context.Response.StatusCode = StatusCodes.Status200OK;
    }
}
