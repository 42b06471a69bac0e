using System.Net;
using Microsoft.Extensions.DependencyInjection;

namespace GrowlyticsSdk.IntegrationTests.Security;

/// <summary>
/// A collector (or a load balancer in front of it) that sets a cookie: the SDK's own handler keeps no cookies, so its
/// later requests carry only the headers docs/wire-protocol.md lists, never a <c>Cookie</c> header with what the server
/// stored in the client. Before, the handler kept a cookie jar and sent every cookie back with each later request.
/// </summary>
public sealed class ResponseCookieTests : IAsyncLifetime
{
    private const string Key = "cookie-test-key-5521";
    private RecordingServer _collector = null!;

    public async Task InitializeAsync()
    {
        _collector = await RecordingServer.StartAsync(IPAddress.Loopback);
        _collector.Respond = context =>
        {
            context.Response.Headers.SetCookie = "lb-node=7; Path=/";
            context.Response.StatusCode = 200;
            return Task.CompletedTask;
        };
    }

    public async Task DisposeAsync() => await _collector.DisposeAsync();

    [Fact]
    public async Task SdkOwnHttpClient_CollectorSetsACookie_LaterRequestsCarryNoCookie()
    {
        var options = new GrowlyticsOptions();
        BatchClientSetup.Configure(options, _collector.BaseUri, Key);
        await using (var client = new GrowlyticsClient(options))
        {
            await SendThreeRequestsAsync(client);
        }

        _collector.Requests.Should().HaveCount(3).And.OnlyContain(r => !r.Headers.ContainsKey("cookie"), "the SDK sends back nothing a server stored in it");
    }

    [Fact]
    public async Task AddGrowlytics_CollectorSetsACookie_LaterRequestsCarryNoCookie()
    {
        var services = new ServiceCollection();
        services.AddGrowlytics(o => BatchClientSetup.Configure(o, _collector.BaseUri, Key));
        await using (var provider = services.BuildServiceProvider())
        {
            await SendThreeRequestsAsync(provider.GetRequiredService<GrowlyticsClient>());
        }

        _collector.Requests.Should().HaveCount(3).And.OnlyContain(r => !r.Headers.ContainsKey("cookie"), "the SDK sends back nothing a server stored in it");
    }

    // Three requests one after the other: each one after the answer that set the cookie.
    private static async Task SendThreeRequestsAsync(GrowlyticsClient client)
    {
        for (var i = 0; i < 3; i++)
        {
            client.Customers.Update($"c-{i}", TestSupport.Number(i));
            await TestSupport.FlushAsync(client);
        }

        client.Statistics.Delivered.Should().Be(3);
    }
}
