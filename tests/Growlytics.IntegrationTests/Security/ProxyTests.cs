using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http;

namespace GrowlyticsSdk.IntegrationTests.Security;

/// <summary>
/// A proxy configured for the client's handler (a second Kestrel listener standing in for one, as a proxy from
/// <c>HTTP_PROXY</c> would be used): a plain-<c>http</c> loopback endpoint is reached directly, so the proxy never sees
/// the API key or the messages in clear text, and its answer is never taken for a delivery.
/// </summary>
public sealed class ProxyTests : IAsyncLifetime
{
    private const int Messages = 5;
    private const string Key = "proxy-test-key-7731";
    private RecordingServer _endpoint = null!;
    private RecordingServer _proxy = null!;

    public async Task InitializeAsync()
    {
        _endpoint = await RecordingServer.StartAsync(IPAddress.Loopback);
        _proxy = await RecordingServer.StartAsync(IPAddress.Loopback);
    }

    public async Task DisposeAsync()
    {
        await _endpoint.DisposeAsync();
        await _proxy.DisposeAsync();
    }

    [Fact]
    public async Task Send_FactoryHandlerWithAProxy_LoopbackEndpointIsReachedDirectly()
    {
        var services = new ServiceCollection();
        services.AddGrowlytics(Configure);
        services.AddHttpClient(GrowlyticsClient.HttpClientName)
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { Proxy = new WebProxy(_proxy.BaseUri), UseProxy = true });
        await using var provider = services.BuildServiceProvider();
        var client = provider.GetRequiredService<GrowlyticsClient>();

        using (client.BeginScope())
        {
            await PushAndFlushAsync(client);
        }

        _proxy.Requests.Should().BeEmpty("a loopback endpoint is never reached through a proxy: it would get the key in clear text");
        _endpoint.Requests.Should().NotBeEmpty().And.OnlyContain(r => r.Headers.ContainsKey("x-growlytics-key"));
        client.Statistics.Delivered.Should().Be(Messages);
    }

    [Fact]
    public async Task Send_FactoryHandlerWithAProxy_OtherDestinationsStillUseIt()
    {
        // The same hardened handler, asked directly for a destination that is not this machine.
        var services = new ServiceCollection();
        services.AddGrowlytics(Configure);
        var proxy = new WebProxy(_proxy.BaseUri);
        services.AddHttpClient(GrowlyticsClient.HttpClientName)
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { Proxy = proxy, UseProxy = true });
        await using var provider = services.BuildServiceProvider();

        var handler = provider.GetRequiredService<IHttpMessageHandlerFactory>().CreateHandler(GrowlyticsClient.HttpClientName);
        var primary = PrimaryOf(handler).Should().BeOfType<SocketsHttpHandler>().Subject;

        var remote = new Uri("https://dcqs-india.growlytics.in/rest-api/customer");
        primary.Proxy!.IsBypassed(remote).Should().BeFalse();
        primary.Proxy.GetProxy(remote).Should().Be(proxy.GetProxy(remote));
        primary.Proxy.IsBypassed(_endpoint.BaseUri).Should().BeTrue();
    }

    private void Configure(GrowlyticsOptions options) => BatchClientSetup.Configure(options, _endpoint.BaseUri, Key);

    private static HttpMessageHandler PrimaryOf(HttpMessageHandler handler)
    {
        while (handler is DelegatingHandler delegating)
        {
            handler = delegating.InnerHandler!;
        }

        return handler;
    }

    private static Task PushAndFlushAsync(GrowlyticsClient client) => BatchClientSetup.PushAndFlushAsync(client, Messages);
}
