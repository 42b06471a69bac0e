using System.Net;
using GrowlyticsSdk.Tests.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http;

namespace GrowlyticsSdk.Tests.DependencyInjection;

/// <summary>
/// A <see cref="SocketsHttpHandler"/> an app configures as the primary handler of <c>AddGrowlytics</c>'s client (to set
/// <c>PooledConnectionLifetime</c>, TLS options, a connection limit) is hardened by either build of the library: it
/// follows no redirect (the key would go to the redirect target) and reaches a loopback endpoint past any proxy (which
/// would read the key and the messages in clear text and answer for the collector). The netstandard2.0 build, which
/// .NET 6 and 7 apps receive, cannot name the type and left it as it was.
/// </summary>
[Collection(ProcessStateCollection.Name)]
public sealed class FactorySocketsHandlerTests
{
    private static readonly Uri Proxy = new("http://proxy.example.test:3128/");

    [Fact]
    public void AddGrowlytics_SocketsHttpHandlerAsPrimary_FollowsNoRedirectAndReachesLoopbackPastItsProxy()
    {
        var sockets = new SocketsHttpHandler { Proxy = new WebProxy(Proxy) };
        BuildFactoryHandler(sockets);

        sockets.AllowAutoRedirect.Should().BeFalse("a redirect would carry the API key to its target");
        sockets.ActivityHeadersPropagator.Should().BeNull("the app's trace ids are not sent to a third party");
        sockets.Proxy!.IsBypassed(new Uri("http://127.0.0.1:7005/")).Should().BeTrue("plain http to this machine must not pass through a proxy");
        sockets.Proxy.GetProxy(new Uri("http://127.0.0.1:7005/")).Should().BeNull();
        sockets.Proxy.GetProxy(new Uri("https://dcqs-india.growlytics.in/")).Should().Be(Proxy, "other destinations still use the app's proxy");
    }

    [Fact]
    public void AddGrowlytics_SocketsHttpHandlerWithoutAProxyOfItsOwn_ReachesLoopbackPastTheDefaultProxy()
    {
        var previous = HttpClient.DefaultProxy;
        try
        {
            // What HTTP_PROXY / ALL_PROXY give a handler that has no proxy of its own.
            HttpClient.DefaultProxy = new WebProxy(Proxy);
            var sockets = new SocketsHttpHandler();
            BuildFactoryHandler(sockets);

            sockets.Proxy.Should().NotBeNull("the process's default proxy is wrapped so that loopback skips it");
            sockets.Proxy!.GetProxy(new Uri("http://127.0.0.1:7005/")).Should().BeNull();
            sockets.Proxy.GetProxy(new Uri("https://dcqs-india.growlytics.in/")).Should().Be(Proxy);
        }
        finally
        {
            HttpClient.DefaultProxy = previous;
        }
    }

    // Builds AddGrowlytics' client chain around the app's primary handler, as the factory does at the first request.
    private static void BuildFactoryHandler(SocketsHttpHandler sockets)
    {
        var services = new ServiceCollection();
        services.AddGrowlytics(o =>
        {
            o.ApiKey = "factory-test-key";
            o.Endpoint = new Uri("http://127.0.0.1:7005/");
            o.FlushOnProcessExit = false;
        }).ConfigurePrimaryHttpMessageHandler(() => sockets);
        using var provider = services.BuildServiceProvider();
        using var handler = provider.GetRequiredService<IHttpMessageHandlerFactory>().CreateHandler(GrowlyticsClient.HttpClientName);
    }
}
