using GrowlyticsSdk.Tests.TestSupport;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace GrowlyticsSdk.Tests.DependencyInjection;

/// <summary>
/// <c>AddGrowlytics</c> called twice (the app's own call with settings in code, and another from a shared "service
/// defaults" extension or a library): the configuration is bound first and every call's delegate applies after it, in
/// call order, as the delegate's documentation says ("changes applied after configuration binding"). The second call
/// used to bind the section again and reset the session mode over the first call's code.
/// </summary>
[Collection(ProcessStateCollection.Name)]
public sealed class AddGrowlyticsTwiceTests
{
    [Fact]
    public async Task AddGrowlytics_CalledAgainAfterOneWithCode_KeepsTheCodesSettingsOverConfiguration()
    {
        var services = Services(new Dictionary<string, string?>
        {
            ["Growlytics:ApiKey"] = "gk_from_configuration",
            ["Growlytics:Endpoint"] = "http://127.0.0.1:7005/",
            ["Growlytics:MaxQueueSize"] = "2000",
        });
        services.AddGrowlytics(o =>
        {
            o.ApiKey = "gk_from_code";
            o.MaxQueueSize = 3000;
            o.SessionMode = SessionMode.ProcessWide;
        });
        services.AddGrowlytics();
        await using var provider = services.BuildServiceProvider();

        var options = provider.GetRequiredService<IOptions<GrowlyticsOptions>>().Value;

        options.ApiKey.Should().Be("gk_from_code", "the code's delegate applies after configuration binding");
        options.MaxQueueSize.Should().Be(3000);
        options.SessionMode.Should().Be(SessionMode.ProcessWide, "the app chose a process-wide session in code");
        options.Endpoint.Should().Be(new Uri("http://127.0.0.1:7005/"), "the configuration still applies where code is silent");
    }

    [Fact]
    public async Task AddGrowlytics_CalledTwiceWithDelegates_AppliesBothInCallOrder()
    {
        var services = Services(new Dictionary<string, string?> { ["Growlytics:ApiKey"] = "gk_from_configuration", ["Growlytics:Endpoint"] = "http://127.0.0.1:7005/" });
        services.AddGrowlytics(o =>
        {
            o.MaxQueueSize = 3000;
            o.MaxConcurrentRequests = 3;
        });
        services.AddGrowlytics(o => o.MaxConcurrentRequests = 4);
        await using var provider = services.BuildServiceProvider();

        var options = provider.GetRequiredService<IOptions<GrowlyticsOptions>>().Value;

        options.MaxQueueSize.Should().Be(3000);
        options.MaxConcurrentRequests.Should().Be(4);
        options.ApiKey.Should().Be("gk_from_configuration");
        provider.GetServices<Microsoft.Extensions.Hosting.IHostedService>().Should().ContainSingle();
    }

    [Fact]
    public async Task AddGrowlytics_CalledAgain_KeepsThePrimaryHandlerTheAppConfigured()
    {
        var services = Services(new Dictionary<string, string?> { ["Growlytics:ApiKey"] = "gk_from_configuration", ["Growlytics:Endpoint"] = "http://127.0.0.1:7005/" });
        var handler = new RecordingHandler();
        services.AddGrowlytics().ConfigurePrimaryHttpMessageHandler(() => handler);
        services.AddGrowlytics();
        await using var provider = services.BuildServiceProvider();
        var client = provider.GetRequiredService<GrowlyticsClient>();

        client.Customers.Update("c-1", new Dictionary<string, object?> { ["plan"] = "pro" });
        await client.FlushAsync().WaitAsync(TimeSpan.FromSeconds(30));

        handler.Keys.Should().Equal(["gk_from_configuration"], "the app's primary handler sends, given the key once");
    }

    private sealed class RecordingHandler : HttpMessageHandler
    {
        public List<string> Keys { get; } = [];

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            lock (Keys)
            {
                Keys.Add(string.Join("|", request.Headers.GetValues("x-growlytics-key")));
            }

            return Task.FromResult(new HttpResponseMessage(System.Net.HttpStatusCode.OK) { Content = new StringContent("{\"success\":true}") });
        }
    }

    private static ServiceCollection Services(Dictionary<string, string?> settings)
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        return services;
    }
}
