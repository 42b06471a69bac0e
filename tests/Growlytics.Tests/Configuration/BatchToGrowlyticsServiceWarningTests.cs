using GrowlyticsSdk.Tests.TestSupport;
using Microsoft.Extensions.Logging;

namespace GrowlyticsSdk.Tests.Configuration;

/// <summary>
/// Growlytics' service serves its REST API and no <c>events/sdk-batch</c>, so <see cref="GrowlyticsProtocol.Batch"/>
/// against one of its hosts loses every message (each request refused, its messages dropped as
/// <see cref="DropReason.Rejected"/>). The client still starts (a test or a relay may answer on such a host through an
/// app's handler), and says so once, at start-up, as a warning (event 1016) that names the host and the fix.
/// </summary>
public sealed class BatchToGrowlyticsServiceWarningTests
{
    private const int WarningEvent = 1016;

    [Theory]
    [InlineData(GrowlyticsProtocol.Batch, null, true)]
    [InlineData(GrowlyticsProtocol.Batch, "https://growlytics.in/", true)]
    [InlineData(GrowlyticsProtocol.Batch, "https://API.Growlytics.IN/v2/", true)]
    [InlineData(GrowlyticsProtocol.Rest, null, false)]
    [InlineData(GrowlyticsProtocol.Batch, "http://127.0.0.1:7011/", false)]
    [InlineData(GrowlyticsProtocol.Batch, "https://growlytics.in.example.com/", false)]
    [InlineData(GrowlyticsProtocol.Batch, "https://mygrowlytics.in/", false)]
    public async Task Start_BatchProtocol_WarnsOnceWhenTheEndpointIsGrowlyticsService(GrowlyticsProtocol protocol, string? endpoint, bool warns)
    {
        var log = new DeliveryLog();
        var options = new GrowlyticsOptions
        {
            ApiKey = "batch-to-service-test-key",
            Protocol = protocol,
            FlushOnProcessExit = false,
            LoggerFactory = log,
            HttpClient = new HttpClient(new RefusingHandler()),
        };
        if (endpoint is not null)
        {
            options.Endpoint = new Uri(endpoint);
        }

        await using (var client = new GrowlyticsClient(options))
        {
            client.Statistics.Enqueued.Should().Be(0);
        }

        var warnings = log.WithId(WarningEvent).ToList();
        if (!warns)
        {
            warnings.Should().BeEmpty();
            return;
        }

        warnings.Should().ContainSingle();
        warnings[0].Level.Should().Be(LogLevel.Warning);
        warnings[0].Fields["Host"].Should().Be(options.Endpoint.Host);
        warnings[0].Text.Should().Contain("GrowlyticsProtocol.Rest").And.NotContain("batch-to-service-test-key");
    }

    private sealed class RefusingHandler : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("No request is expected.");
    }
}
