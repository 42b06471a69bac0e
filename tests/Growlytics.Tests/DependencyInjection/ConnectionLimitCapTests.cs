using System.Net;
using GrowlyticsSdk.Delivery;
using GrowlyticsSdk.Tests.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace GrowlyticsSdk.Tests.DependencyInjection;

/// <summary>
/// The requests in flight are capped at the connections per server of the primary handler the SDK can see (its own, or
/// the one <c>IHttpClientFactory</c> builds for <c>AddGrowlytics</c>): an HTTP/1.1 request beyond them waits inside the
/// handler for a connection while its <see cref="GrowlyticsOptions.RequestTimeout"/> runs. Never above
/// <see cref="GrowlyticsOptions.MaxConcurrentRequests"/>; the cap is logged once, at start-up, with no values.
/// </summary>
public sealed class ConnectionLimitCapTests
{
    private const string Key = "connection-cap-test-key";
    private const int CappedEvent = 2021;

    public enum Primary
    {
        Sockets,
        ClientHandler,
        SocketsWrappedByTheApp,
    }

    [Theory]
    [InlineData(Primary.Sockets, 2, 0, GrowlyticsProtocol.Rest, 2)]
    [InlineData(Primary.ClientHandler, 2, 0, GrowlyticsProtocol.Rest, 2)]
    [InlineData(Primary.SocketsWrappedByTheApp, 3, 0, GrowlyticsProtocol.Rest, 3)]
    [InlineData(Primary.Sockets, 4, 0, GrowlyticsProtocol.Batch, 4)]
    [InlineData(Primary.ClientHandler, 5, 16, GrowlyticsProtocol.Rest, 5)]
    [InlineData(Primary.Sockets, int.MaxValue, 0, GrowlyticsProtocol.Rest, GrowlyticsOptions.DefaultRestConcurrency)]
    [InlineData(Primary.ClientHandler, int.MaxValue, 0, GrowlyticsProtocol.Batch, GrowlyticsOptions.DefaultBatchConcurrency)]
    [InlineData(Primary.Sockets, 64, 8, GrowlyticsProtocol.Rest, 8)]
    [InlineData(Primary.Sockets, 8, 8, GrowlyticsProtocol.Batch, 8)]
    public async Task AddGrowlytics_PrimaryHandlerConnectionLimit_CapsRequestsInFlightNeverAboveMaxConcurrentRequests(
        Primary primary, int connections, int maxConcurrentRequests, GrowlyticsProtocol protocol, int expected)
    {
        var log = new DeliveryLog();
        var services = new ServiceCollection();
        services.AddGrowlytics(o =>
        {
            Configure(o, log);
            o.Protocol = protocol;
            o.MaxConcurrentRequests = maxConcurrentRequests;
        }).ConfigurePrimaryHttpMessageHandler(() => Handler(primary, connections));

        await using (var provider = services.BuildServiceProvider())
        {
            provider.GetRequiredService<GrowlyticsClient>().MaxRequestsInFlight.Should().Be(expected);
        }

        var configured = maxConcurrentRequests > 0 ? maxConcurrentRequests
            : protocol == GrowlyticsProtocol.Rest ? GrowlyticsOptions.DefaultRestConcurrency : GrowlyticsOptions.DefaultBatchConcurrency;
        var capped = log.WithId(CappedEvent).ToList();
        if (expected < configured)
        {
            capped.Should().ContainSingle("the cap is said once, at start-up");
            capped[0].Level.Should().Be(LogLevel.Information);
            capped[0].Fields.Keys.Should().Equal(["{OriginalFormat}"], "the line carries no values");
            capped[0].Text.Should().Contain("MaxConnectionsPerServer").And.NotContain(Key);
        }
        else
        {
            capped.Should().BeEmpty("nothing is capped");
        }
    }

    [Fact]
    public async Task NewClient_ItsOwnHandler_NoCap()
    {
        var log = new DeliveryLog();
        var options = new GrowlyticsOptions();
        Configure(options, log);
        await using var client = new GrowlyticsClient(options);

        client.MaxRequestsInFlight.Should().Be(GrowlyticsOptions.DefaultRestConcurrency, "the SDK's own handler opens as many connections as it needs");
        log.WithId(CappedEvent).Should().BeEmpty();
    }

    [Fact]
    public async Task AppHttpClient_HandlerItCannotSee_NotCapped()
    {
        // GrowlyticsOptions.HttpClient is used as it is: its handler is the app's (MaxConcurrentRequests' documentation says
        // to keep it at most the handler's connections).
        var log = new DeliveryLog();
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 2, AllowAutoRedirect = false });
        var options = new GrowlyticsOptions { HttpClient = http };
        Configure(options, log);
        await using var client = new GrowlyticsClient(options);

        client.MaxRequestsInFlight.Should().Be(GrowlyticsOptions.DefaultRestConcurrency);
        log.WithId(CappedEvent).Should().BeEmpty();
    }

    [Theory]
    [InlineData(HttpVersionPolicy.RequestVersionExact)]
    [InlineData(HttpVersionPolicy.RequestVersionOrHigher)]
    public async Task AddGrowlytics_ClientHeldToHttp2_NotCappedByConnections(HttpVersionPolicy policy)
    {
        var inFlight = await MaxInFlightSetToHttp2Async(policy);

#if GROWLYTICS_LIBRARY_NETSTANDARD
        // That build sends HTTP/1.1 whatever the client's default version: one request per connection.
        inFlight.Should().Be(2);
#else
        inFlight.Should().Be(GrowlyticsOptions.DefaultRestConcurrency, "HTTP/2 requests share a connection");
#endif
    }

    [Fact]
    public async Task AddGrowlytics_ClientAskingForHttp2OrLower_CappedByConnections()
    {
        // RequestVersionOrLower (the default policy) falls back to HTTP/1.1: over plain http, or from a server without h2.
        var inFlight = await MaxInFlightSetToHttp2Async(HttpVersionPolicy.RequestVersionOrLower);

        inFlight.Should().Be(2, "a request over HTTP/1.1 needs a connection of its own");
    }

    [Theory]
    [InlineData(32, null, 32)]
    [InlineData(32, 2, 2)]
    [InlineData(8, 64, 8)]
    [InlineData(8, int.MaxValue, 8)]
    [InlineData(8, 8, 8)]
    [InlineData(8, 0, 8)]
    public void MaxInFlight_TheSmallerOfTheConfiguredAndTheHandlersLimit(int configured, int? connections, int expected) =>
        ConcurrencyLimiter.MaxInFlight(configured, connections).Should().Be(expected);

    [Fact]
    public void CappedLimiter_HalvesOnOverloadAndGrowsBackToTheCapNotAbove()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        var limiter = new ConcurrencyLimiter(ConcurrencyLimiter.MaxInFlight(32, 2), time, static () => { });

        limiter.OnOverload();
        limiter.Limit.Should().Be(1, "a 429 halves the capped limit");
        limiter.OnSuccess();
        limiter.OnSuccess();
        limiter.OnSuccess();
        limiter.Limit.Should().Be(2, "successes grow it back to the cap, not to MaxConcurrentRequests");
    }

    private static HttpMessageHandler Handler(Primary primary, int connections) => primary switch
    {
        Primary.Sockets => new SocketsHttpHandler { MaxConnectionsPerServer = connections },
        Primary.ClientHandler => new HttpClientHandler { MaxConnectionsPerServer = connections },
        _ => new PassThroughHandler(new SocketsHttpHandler { MaxConnectionsPerServer = connections }),
    };

    private static async Task<int> MaxInFlightSetToHttp2Async(HttpVersionPolicy policy)
    {
        var log = new DeliveryLog();
        var services = new ServiceCollection();
        services.AddGrowlytics(o => Configure(o, log))
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { MaxConnectionsPerServer = 2 })
            .ConfigureHttpClient(http =>
            {
                http.DefaultRequestVersion = HttpVersion.Version20;
                http.DefaultVersionPolicy = policy;
            });

        await using var provider = services.BuildServiceProvider();
        return provider.GetRequiredService<GrowlyticsClient>().MaxRequestsInFlight;
    }

    private static void Configure(GrowlyticsOptions options, DeliveryLog log)
    {
        options.ApiKey = Key;
        options.Endpoint = new Uri("http://127.0.0.1:7005/");
        options.FlushOnProcessExit = false;
        options.LoggerFactory = log;
    }

    // An app's own handler around its primary one, set as the primary handler.
    private sealed class PassThroughHandler(HttpMessageHandler inner) : DelegatingHandler(inner);
}
