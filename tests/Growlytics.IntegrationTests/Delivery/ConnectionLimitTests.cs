using System.Net;
using GrowlyticsSdk.IntegrationTests.Rest;
using GrowlyticsSdk.IntegrationTests.Security;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;
using static GrowlyticsSdk.IntegrationTests.TestSupport;

namespace GrowlyticsSdk.IntegrationTests.Delivery;

/// <summary>
/// An app gives <c>AddGrowlytics</c>'s client a primary handler that allows fewer connections per server than
/// <see cref="GrowlyticsOptions.MaxConcurrentRequests"/> (32 with <c>Rest</c>): the SDK sends no more requests at once than
/// the handler has connections for. Before, the rest waited inside the handler for a connection while their
/// <see cref="GrowlyticsOptions.RequestTimeout"/> ran: with 2 connections, a service taking 150 ms a request and a 2 s
/// timeout, a request waited about 2.4 s and most attempts timed out: in one run 958 requests reached the service for 300
/// updates, 28 of which were dropped (<see cref="DropReason.RetriesExhausted"/>); here (100 ms, 1 s), 297-329 for 150.
/// </summary>
[Collection(EngineCollection.Name)]
public sealed class ConnectionLimitTests(ITestOutputHelper output)
{
    private const int Customers = 150;
    private const int Connections = 2;
    private const int CappedEvent = 2021;
    private static readonly TimeSpan ServiceTime = TimeSpan.FromMilliseconds(100);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public Task Send_PrimaryHandlerWithTwoConnectionsPerServer_NoAttemptTimesOutWaitingForAConnectionNoneDropped(bool httpClientHandler) =>
        SendThroughTwoConnectionsAsync(httpClientHandler, configureClient: null);

    /// <summary>
    /// The client asks for HTTP/2 with the default policy, <see cref="HttpVersionPolicy.RequestVersionOrLower"/>: the
    /// handler falls back to HTTP/1.1 (here plain <c>http</c>, no h2c without <c>RequestVersionExact</c> or
    /// <c>RequestVersionOrHigher</c>; over <c>https</c> a server or load balancer that offers no <c>h2</c>), one request per
    /// connection. The cap used to be lifted for any client set to 2.0: 32 requests went at once over 2 connections.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public Task Send_ClientAskingForHttp2OrLowerOverHttp11_StillCappedNoAttemptTimesOut(bool httpClientHandler) =>
        SendThroughTwoConnectionsAsync(httpClientHandler, http =>
        {
            http.DefaultRequestVersion = HttpVersion.Version20;
            http.DefaultVersionPolicy = HttpVersionPolicy.RequestVersionOrLower;
        });

    private async Task SendThroughTwoConnectionsAsync(bool httpClientHandler, Action<HttpClient>? configureClient)
    {
        await using var collector = await RestCollector.StartAsync();
        collector.AnswerDelay = ServiceTime;
        using var logs = new RecordingLoggerProvider();
        var services = new ServiceCollection();
        services.AddLogging(b => b.AddProvider(logs));
        services.AddGrowlytics(o =>
        {
            o.ApiKey = RestCollector.ApiKey;
            o.Endpoint = collector.Endpoint;
            o.FlushOnProcessExit = false;

            // 32 requests at once over 2 connections would wait 16 × 100 ms for one: longer than an attempt may take.
            o.RequestTimeout = TimeSpan.FromSeconds(1);
        }).ConfigurePrimaryHttpMessageHandler(() => httpClientHandler
            ? new HttpClientHandler { MaxConnectionsPerServer = Connections }
            : new SocketsHttpHandler { MaxConnectionsPerServer = Connections })
            .ConfigureHttpClient(http => configureClient?.Invoke(http));

        GrowlyticsStatistics statistics;
        await using (var provider = services.BuildServiceProvider())
        {
            var client = provider.GetRequiredService<GrowlyticsClient>();

            // One first, alone: a first request's connection and compiling on a busy machine are not what is measured.
            client.Customers.Update("warm-up", Number(-1));
            await client.FlushAsync().WaitAsync(Deadline);
            for (var i = 0; i < Customers; i++)
            {
                client.Customers.Update($"cust-{i:D3}", Number(i));
            }

            await client.FlushAsync().WaitAsync(Deadline);
            statistics = client.Statistics;
        }

        foreach (var line in logs.Lines.Where(l => l.Level >= LogLevel.Warning))
        {
            output.WriteLine(line.Text);
        }

        output.WriteLine($"requests at the collector {collector.Arrivals}, answered {collector.Requests.Count}, retried {statistics.Retried}, delivered {statistics.Delivered}, dropped {statistics.Dropped}");
        (statistics.Enqueued, statistics.Delivered, statistics.Dropped).Should().Be((Customers + 1, Customers + 1, 0), "every update is delivered");
        statistics.Retried.Should().BeLessThanOrEqualTo(Customers / 50, "no attempt runs out of time waiting for a connection");
        collector.Arrivals.Should().BeInRange(Customers + 1, Customers + 1 + (Customers / 50), "about one request per update reaches the service");
        logs.Lines.Where(l => l.EventId.Id == CappedEvent).Should().ContainSingle("the cap is logged once, at start-up")
            .Which.Level.Should().Be(LogLevel.Information);
        logs.Lines.Should().NotContain(l => l.Text.Contains(RestCollector.ApiKey, StringComparison.Ordinal));
    }
}
