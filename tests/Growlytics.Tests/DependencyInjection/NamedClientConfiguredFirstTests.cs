using System.Net;
using GrowlyticsSdk.Tests.TestSupport;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace GrowlyticsSdk.Tests.DependencyInjection;

/// <summary>
/// The named client <see cref="GrowlyticsClient.HttpClientName"/> configured by the app (or a shared "service defaults"
/// extension) before <c>AddGrowlytics</c> runs: its primary handler (a proxy, a client certificate, its connection
/// limit) and its timeout are the app's, as they are when configured after. The SDK's own defaults used to be
/// registered after them and replace them without a word.
/// </summary>
[Collection(ProcessStateCollection.Name)]
public sealed class NamedClientConfiguredFirstTests
{
    [Fact]
    public async Task PrimaryHandlerConfiguredBeforeAddGrowlytics_SendsTheRequests()
    {
        var handler = new RecordingHandler();
        var services = Services();
        services.AddHttpClient(GrowlyticsClient.HttpClientName).ConfigurePrimaryHttpMessageHandler(() => handler);
        services.AddGrowlytics();
        await using var provider = services.BuildServiceProvider();
        var client = provider.GetRequiredService<GrowlyticsClient>();

        client.Customers.Update("c-1", new Dictionary<string, object?> { ["plan"] = "pro" });
        await client.FlushAsync().WaitAsync(TimeSpan.FromSeconds(30));

        handler.Keys.Should().Equal(["gk_named_first"], "the app's primary handler sends, hardened and given the key, whichever came first");
        client.Statistics.Delivered.Should().Be(1);
    }

    [Fact]
    public async Task TimeoutConfiguredBeforeAddGrowlytics_IsKept()
    {
        var services = Services();
        services.AddHttpClient(GrowlyticsClient.HttpClientName, http => http.Timeout = TimeSpan.FromSeconds(30));
        services.AddGrowlytics();
        await using var provider = services.BuildServiceProvider();

        provider.GetRequiredService<IHttpClientFactory>().CreateClient(GrowlyticsClient.HttpClientName).Timeout
            .Should().Be(TimeSpan.FromSeconds(30), "the app's own setting wins over the SDK's default, whichever came first");
    }

    [Fact]
    public async Task NothingConfiguredByTheApp_TheSdksHardenedHandlerAndNoTimeout()
    {
        var services = Services();
        services.AddGrowlytics();
        await using var provider = services.BuildServiceProvider();

        provider.GetRequiredService<IHttpClientFactory>().CreateClient(GrowlyticsClient.HttpClientName).Timeout
            .Should().Be(Timeout.InfiniteTimeSpan);
        var primary = provider.GetRequiredService<IHttpMessageHandlerFactory>().CreateHandler(GrowlyticsClient.HttpClientName);
        while (primary is DelegatingHandler { InnerHandler: { } inner })
        {
            primary = inner;
        }

        // The SDK's handler: a SocketsHttpHandler, or an HttpClientHandler in the netstandard2.0 build; never redirecting.
        primary.Should().Match(h => h is SocketsHttpHandler || h is HttpClientHandler);
        FollowsRedirects(primary).Should().BeFalse();
    }

    [Fact]
    public async Task AppWideDefaultsAndANamedTimeoutBeforeAddGrowlytics_TheSdksHandlerOverTheDefaultsAndTheAppsTimeout()
    {
        var appWide = new RecordingHandler();
        var services = Services();
        services.ConfigureHttpClientDefaults(b => b.ConfigurePrimaryHttpMessageHandler(() => appWide)
            .ConfigureHttpClient(http => http.Timeout = TimeSpan.FromSeconds(5)));
        services.AddHttpClient(GrowlyticsClient.HttpClientName, http => http.Timeout = TimeSpan.FromSeconds(30));
        services.AddGrowlytics();
        await using var provider = services.BuildServiceProvider();

        provider.GetRequiredService<IHttpClientFactory>().CreateClient(GrowlyticsClient.HttpClientName).Timeout
            .Should().Be(TimeSpan.FromSeconds(30), "the app's setting for this client by name wins over the app-wide default and the SDK's");
        var primary = provider.GetRequiredService<IHttpMessageHandlerFactory>().CreateHandler(GrowlyticsClient.HttpClientName);
        while (primary is DelegatingHandler { InnerHandler: { } inner })
        {
            primary = inner;
        }

        primary.Should().NotBeSameAs(appWide, "the SDK's own handler still wins over a default set for every client");
        FollowsRedirects(primary).Should().BeFalse();
    }

    private static bool FollowsRedirects(HttpMessageHandler handler) => handler switch
    {
        SocketsHttpHandler sockets => sockets.AllowAutoRedirect,
        HttpClientHandler client => client.AllowAutoRedirect,
        _ => true,
    };

    private static ServiceCollection Services()
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Growlytics:ApiKey"] = "gk_named_first",
            ["Growlytics:Endpoint"] = "http://127.0.0.1:7005/",
        }).Build());
        return services;
    }

    private sealed class RecordingHandler : HttpMessageHandler
    {
        public List<string> Keys { get; } = [];

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            lock (Keys)
            {
                Keys.Add(string.Join("|", request.Headers.TryGetValues("x-growlytics-key", out var values) ? values : []));
            }

            return Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent("{\"success\":true}") });
        }
    }
}
