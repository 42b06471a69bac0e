using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace GrowlyticsSdk.Tests.DependencyInjection;

/// <summary>
/// A real HTTP server on 127.0.0.1 (<see cref="HttpListener"/>: this project runs without the ASP.NET Core framework,
/// so it exercises the pinned Microsoft.Extensions.Http package rather than the shared framework's copy). Answers 200 and
/// records each request's headers.
/// </summary>
internal sealed class LoopbackListener : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly ConcurrentQueue<IReadOnlyDictionary<string, string>> _requests = new();
    private readonly Task _loop;

    public LoopbackListener()
    {
        Port = FreePort();
        _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        _listener.Start();
        _loop = Task.Run(ServeAsync);
    }

    public int Port { get; }

    public Uri BaseUri => new($"http://127.0.0.1:{Port}/");

    /// <summary>Gets each request's headers, names in lower case.</summary>
    public IReadOnlyList<IReadOnlyDictionary<string, string>> Requests => [.. _requests];

    public void Dispose()
    {
        _listener.Close();
        _loop.Wait(TimeSpan.FromSeconds(5));
    }

    private static int FreePort()
    {
        using var socket = new TcpListener(IPAddress.Loopback, 0);
        socket.Start();
        return ((IPEndPoint)socket.LocalEndpoint).Port;
    }

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            await context.Request.InputStream.CopyToAsync(Stream.Null);
            _requests.Enqueue(context.Request.Headers.AllKeys.ToDictionary(k => k!.ToLowerInvariant(), k => context.Request.Headers[k] ?? string.Empty));
            context.Response.StatusCode = 200;
            context.Response.Close();
        }
    }
}
