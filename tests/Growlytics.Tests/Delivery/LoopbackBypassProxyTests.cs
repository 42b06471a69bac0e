using System.Net;
using GrowlyticsSdk.Delivery;

namespace GrowlyticsSdk.Tests.Delivery;

/// <summary>
/// SDK-owned handlers reach this machine past any proxy (plain <c>http</c> is allowed only there, so a proxy would read
/// the key), and other destinations through the proxy the handler was given.
/// </summary>
public sealed class LoopbackBypassProxyTests
{
    private static readonly WebProxy Configured = new(new Uri("http://proxy.example.test:3128/"));

    [Theory]
    [InlineData("http://127.0.0.1:5080/")]
    [InlineData("http://127.0.0.2/")]
    [InlineData("http://localhost:5080/relay/")]
    [InlineData("http://[::1]:5080/")]
    [InlineData("http://[::ffff:127.0.0.1]/")]
    [InlineData("https://127.0.0.1/")]
    public void Loopback_IsBypassedAndHasNoProxy(string destination)
    {
        var proxy = new LoopbackBypassProxy(Configured);

        proxy.IsBypassed(new Uri(destination)).Should().BeTrue();
        proxy.GetProxy(new Uri(destination)).Should().BeNull();
    }

    [Theory]
    [InlineData("https://dcqs-india.growlytics.in/")]
    [InlineData("https://10.0.0.5/")]
    [InlineData("https://localhost.example.test/")]
    [InlineData("http://[::127.0.0.1]/")]
    public void OtherDestinations_GoThroughTheConfiguredProxy(string destination)
    {
        var proxy = new LoopbackBypassProxy(Configured);

        proxy.IsBypassed(new Uri(destination)).Should().BeFalse();
        proxy.GetProxy(new Uri(destination)).Should().Be(new Uri("http://proxy.example.test:3128/"));
    }

    [Fact]
    public void Credentials_AreTheConfiguredProxys()
    {
        var configured = new WebProxy(new Uri("http://proxy.example.test:3128/"));
        var proxy = new LoopbackBypassProxy(configured);
        var credentials = new NetworkCredential("user", "pass");

        proxy.Credentials = credentials;

        configured.Credentials.Should().BeSameAs(credentials);
        proxy.Credentials.Should().BeSameAs(credentials);
    }

    [Fact]
    public void Harden_WrapsTheHandlersProxyOnceAndLeavesAHandlerWithoutProxyAlone()
    {
        // A SocketsHttpHandler with the net8.0 build, an HttpClientHandler with the netstandard2.0 build.
        using var owned = DefaultHttpClient.CreateHandler();
        static IWebProxy? ProxyOf(HttpMessageHandler handler) => handler switch
        {
            SocketsHttpHandler sockets => sockets.Proxy,
            HttpClientHandler client => client.Proxy,
            _ => throw new InvalidOperationException(handler.GetType().Name),
        };
        ProxyOf(owned).Should().BeOfType<LoopbackBypassProxy>("the SDK's own handler bypasses the default proxy for loopback");
        var wrapped = ProxyOf(owned);
        DefaultHttpClient.Harden(owned);
        ProxyOf(owned).Should().BeSameAs(wrapped, "hardening twice does not wrap twice");

        using var given = new HttpClientHandler { Proxy = Configured };
        DefaultHttpClient.Harden(given);
        given.Proxy!.IsBypassed(new Uri("http://127.0.0.1/")).Should().BeTrue();
        given.Proxy.GetProxy(new Uri("https://dcqs-india.growlytics.in/")).Should().Be(new Uri("http://proxy.example.test:3128/"));
        // Either build: the netstandard2.0 one (.NET 6/7) reaches a SocketsHttpHandler through reflection.
        using var sockets = new SocketsHttpHandler { Proxy = Configured };
        DefaultHttpClient.Harden(sockets);
        sockets.Proxy!.IsBypassed(new Uri("http://127.0.0.1/")).Should().BeTrue();
        var socketsProxy = sockets.Proxy;
        DefaultHttpClient.Harden(sockets);
        sockets.Proxy.Should().BeSameAs(socketsProxy, "hardening twice does not wrap twice");

        using var direct = new SocketsHttpHandler { UseProxy = false };
        DefaultHttpClient.Harden(direct);
        direct.Proxy.Should().BeNull();
        direct.UseProxy.Should().BeFalse();

        using var client = new HttpClientHandler();
        DefaultHttpClient.Harden(client);
        client.Proxy.Should().BeOfType<LoopbackBypassProxy>();
    }

    [Fact]
    public void Harden_AHandlerWithoutAProxyOfItsOwn_UsesHttpClientDefaultProxyAsSetLater()
    {
        // What a handler with no proxy of its own uses on .NET Core (either build of the library), even after the older
        // WebRequest.DefaultWebProxy was read (which keeps a copy of its own).
#pragma warning disable SYSLIB0014 // Read only to show that the SDK does not use it.
        _ = WebRequest.DefaultWebProxy;
#pragma warning restore SYSLIB0014
        var previous = HttpClient.DefaultProxy;
        try
        {
            HttpClient.DefaultProxy = new WebProxy(new Uri("http://proxy.example.test:3128/"), BypassOnLocal: true);
            using var handler = new HttpClientHandler();
            DefaultHttpClient.Harden(handler);

            handler.Proxy!.GetProxy(new Uri("https://dcqs-india.growlytics.in/")).Should().Be(new Uri("http://proxy.example.test:3128/"));
            handler.Proxy.IsBypassed(new Uri("http://127.0.0.1:5080/")).Should().BeTrue();
        }
        finally
        {
            HttpClient.DefaultProxy = previous;
        }
    }
}
