using System.Net;
using System.Net.Sockets;
using System.Text;
using GrowlyticsSdk.Delivery;
using GrowlyticsSdk.Tests.TestSupport;

namespace GrowlyticsSdk.Tests.Delivery;

/// <summary>
/// The client the SDK makes when the app gives none reaches a loopback endpoint directly while the process's default
/// proxy would take every request (as one from <c>HTTP_PROXY</c> does): in both builds of the library, the shared handler
/// of the <c>netstandard2.0</c> build included.
/// </summary>
[Collection(ProcessStateCollection.Name)]
public sealed class DefaultProxyLoopbackTests
{
    [Fact]
    public async Task DefaultHttpClient_WithADefaultProxyForEverything_ReachesALoopbackEndpointDirectly()
    {
        using var target = new OneAnswerServer("target");
        using var proxy = new OneAnswerServer("proxy");
        var previous = HttpClient.DefaultProxy;
        try
        {
            HttpClient.DefaultProxy = new EverythingProxy(proxy.Uri);
            using var client = DefaultHttpClient.Create();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));

            var body = await (await client.GetAsync(target.Uri, timeout.Token)).Content.ReadAsStringAsync(timeout.Token);

            body.Should().Be("target", "a loopback endpoint is never reached through a proxy");
        }
        finally
        {
            HttpClient.DefaultProxy = previous;
        }
    }

    /// <summary>A proxy that takes every destination, loopback included (.NET's environment proxy does the same).</summary>
    private sealed class EverythingProxy(Uri proxy) : IWebProxy
    {
        public ICredentials? Credentials { get; set; }

        public Uri GetProxy(Uri destination) => proxy;

        public bool IsBypassed(Uri host) => false;
    }

    /// <summary>Answers each connection on 127.0.0.1 with one 200 carrying its name, whatever the request.</summary>
    private sealed class OneAnswerServer : IDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);

        public OneAnswerServer(string name)
        {
            _listener.Start();
            Uri = new Uri($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/");
            _ = AnswerAsync(name);
        }

        public Uri Uri { get; }

        public void Dispose() => _listener.Stop();

        private async Task AnswerAsync(string name)
        {
            try
            {
                while (true)
                {
                    using var socket = await _listener.AcceptSocketAsync();
                    var buffer = new byte[4096];
                    await socket.ReceiveAsync(buffer, SocketFlags.None);
                    var answer = Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Length: {name.Length}\r\nConnection: close\r\n\r\n{name}");
                    await socket.SendAsync(answer, SocketFlags.None);
                    socket.Shutdown(SocketShutdown.Both);
                }
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
                // Stopped.
            }
        }
    }
}
