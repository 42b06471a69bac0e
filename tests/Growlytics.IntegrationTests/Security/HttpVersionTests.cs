using System.Net;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using static GrowlyticsSdk.IntegrationTests.TestSupport;

namespace GrowlyticsSdk.IntegrationTests.Security;

/// <summary>
/// The HTTP version of the SDK's requests follows the <see cref="HttpClient"/> it sends with, as the client's own
/// helpers (<c>PostAsync</c>) do: an app whose client is set to HTTP/2 (<c>DefaultRequestVersion</c>,
/// <c>DefaultVersionPolicy</c>) reaches a collector that speaks only HTTP/2, here h2c on a loopback Kestrel.
/// </summary>
public sealed class HttpVersionTests : IAsyncLifetime
{
    private const int Messages = 5;
    private RecordingServer _collector = null!;

    public async Task InitializeAsync() => _collector = await RecordingServer.StartAsync(IPAddress.Loopback, HttpProtocols.Http2);

    public async Task DisposeAsync() => await _collector.DisposeAsync();

    [Theory]
    [InlineData(GrowlyticsProtocol.Rest)]
    [InlineData(GrowlyticsProtocol.Batch)]
    public async Task Send_AppHttpClientSetToHttp2_RequestsUseItsVersion(GrowlyticsProtocol protocol)
    {
        using var http = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false })
        {
            DefaultRequestVersion = HttpVersion.Version20,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        var options = Options(protocol);
        options.HttpClient = http;
        await using (var client = new GrowlyticsClient(options))
        {
            await SendAsync(client);
            client.Statistics.Delivered.Should().Be(Messages);
        }

        _collector.Requests.Should().NotBeEmpty().And.OnlyContain(r => r.Protocol == "HTTP/2");
    }

    [Fact]
    public async Task Send_AddGrowlyticsClientSetToHttp2_RequestsUseItsVersion()
    {
        var services = new ServiceCollection();
        services.AddGrowlytics(o =>
        {
            var fast = Options(GrowlyticsProtocol.Rest);
            o.ApiKey = fast.ApiKey;
            o.Endpoint = fast.Endpoint;
            o.Protocol = fast.Protocol;
            o.RequestTimeout = fast.RequestTimeout;
            o.RetryBaseDelay = fast.RetryBaseDelay;
            o.MaxRetryDelay = fast.MaxRetryDelay;
            o.FlushOnProcessExit = false;
        }).ConfigureHttpClient(http =>
        {
            http.DefaultRequestVersion = HttpVersion.Version20;
            http.DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact;
        });
        await using (var provider = services.BuildServiceProvider())
        {
            var client = provider.GetRequiredService<GrowlyticsClient>();
            await SendAsync(client);
            client.Statistics.Delivered.Should().Be(Messages);
        }

        _collector.Requests.Should().NotBeEmpty().And.OnlyContain(r => r.Protocol == "HTTP/2");
    }

    private GrowlyticsOptions Options(GrowlyticsProtocol protocol)
    {
        var options = FastOptions(_collector.BaseUri);
        options.Protocol = protocol;
        return options;
    }

    private static async Task SendAsync(GrowlyticsClient client)
    {
        for (var i = 0; i < Messages; i++)
        {
            client.Customers.Update("c-" + i, Number(i));
        }

        await FlushAsync(client);
    }
}
