using GrowlyticsSdk.Tests.TestSupport;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace GrowlyticsSdk.Tests.DependencyInjection;

/// <summary>
/// <c>Growlytics:ApiKey</c> as deployments deliver it: a Kubernetes or Docker secret file read as configuration, a vault
/// secret, a <c>Growlytics__ApiKey</c> variable from a YAML block, often with a line break at its end. It is taken without
/// surrounding whitespace, as <c>GROWLYTICS_API_KEY</c> is and as every other configuration value (numbers, times, enum
/// names, the endpoint) already was: the same key used to be refused at start-up through configuration and taken through
/// the variable. Whitespace inside the key is still refused, naming the rule and never the key; a key set in code is
/// checked as the app wrote it (<c>OptionsValidationTests</c>).
/// </summary>
[Collection(ProcessStateCollection.Name)]
public sealed class ApiKeyFromConfigurationTests : IDisposable
{
    private const string Key = "gk_mounted_secret_4711";

    public ApiKeyFromConfigurationTests()
    {
        Environment.SetEnvironmentVariable("GROWLYTICS_API_KEY", null);
        Environment.SetEnvironmentVariable("GROWLYTICS_ENDPOINT", null);
    }

    public void Dispose() => Environment.SetEnvironmentVariable("GROWLYTICS_API_KEY", null);

    [Theory]
    [InlineData("", "\n")]
    [InlineData("", "\r\n")]
    [InlineData("  ", " \t\n\n")]
    [InlineData("\n", "")]
    public async Task AddGrowlytics_KeyWithSurroundingWhitespace_IsSentWithoutIt(string before, string after)
    {
        var handler = new HeaderRecordingHandler();
        var services = Services(before + Key + after);
        services.AddGrowlytics().ConfigurePrimaryHttpMessageHandler(() => handler);
        await using var provider = services.BuildServiceProvider();

        var client = provider.GetRequiredService<GrowlyticsClient>();
        client.Customers.Update("c-1", new Dictionary<string, object?> { ["plan"] = "pro" });
        await client.FlushAsync().WaitAsync(TimeSpan.FromSeconds(30));

        handler.Requests.Should().ContainSingle();
        string.Equals(handler.Requests[0].ApiKey, Key, StringComparison.Ordinal).Should().BeTrue("the key is sent without the whitespace around it (and never shown)");
        string.Equals(provider.GetRequiredService<IOptions<GrowlyticsOptions>>().Value.ApiKey, Key, StringComparison.Ordinal).Should().BeTrue();
    }

    [Fact]
    public async Task AddGrowlytics_KeyOfWhitespaceOnly_IsNoKey_TheEnvironmentFillsIt()
    {
        Environment.SetEnvironmentVariable("GROWLYTICS_API_KEY", Key);
        var services = Services(" \n");
        services.AddGrowlytics();
        await using var provider = services.BuildServiceProvider();

        var options = provider.GetRequiredService<IOptions<GrowlyticsOptions>>().Value;

        string.Equals(options.ApiKey, Key, StringComparison.Ordinal).Should().BeTrue("a blank value is no setting");
    }

    [Theory]
    [InlineData("gk_mounted secret_4711\n")]
    [InlineData("gk_mounted\nsecret_4711\n")]
    public async Task AddGrowlytics_KeyWithWhitespaceInside_IsRefusedWithoutEchoingIt(string value)
    {
        var services = Services(value);
        services.AddGrowlytics();
        await using var provider = services.BuildServiceProvider();

        var resolve = () => provider.GetRequiredService<IOptions<GrowlyticsOptions>>().Value;

        var message = resolve.Should().Throw<OptionsValidationException>().Which.Message;
        message.Should().Contain("GrowlyticsOptions.ApiKey has a character that cannot be part of an API key");
        message.Contains("gk_mounted", StringComparison.Ordinal).Should().BeFalse("the message names the rule, never the key");
        message.Contains("secret_4711", StringComparison.Ordinal).Should().BeFalse();
    }

    private static ServiceCollection Services(string apiKey)
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Growlytics:ApiKey"] = apiKey,
            ["Growlytics:Endpoint"] = "http://127.0.0.1:7006/",
        }).Build());
        return services;
    }
}
