using GrowlyticsSdk.Tests.TestSupport;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace GrowlyticsSdk.Tests.Configuration;

/// <summary>
/// The key goes in <see cref="GrowlyticsOptions.ApiKey"/> only: an endpoint with user info, or one that holds the key,
/// is refused wherever the options come from (code, configuration, the environment, <c>AddGrowlytics</c>), and the
/// message names the rule without the endpoint or the key.
/// </summary>
[Collection(ProcessStateCollection.Name)]
public sealed class EndpointCredentialTests : IDisposable
{
    private const string Key = "gk_live_9c1e5ecret";

    public EndpointCredentialTests()
    {
        Environment.SetEnvironmentVariable("GROWLYTICS_API_KEY", null);
        Environment.SetEnvironmentVariable("GROWLYTICS_ENDPOINT", null);
    }

    public void Dispose()
    {
        Environment.SetEnvironmentVariable("GROWLYTICS_API_KEY", null);
        Environment.SetEnvironmentVariable("GROWLYTICS_ENDPOINT", null);
    }

    // The key as a host name takes no '_'.
    private const string HostKey = "gk-live-9c1e5ecret";

    // By case name, so the test's name and output never show the key.
    private static readonly Dictionary<string, (string Key, string Endpoint)> Cases = new()
    {
        ["key as password"] = (Key, "https://user:" + Key + "@collector.example/"),
        ["user name only"] = (Key, "https://someone@collector.example/"),
        ["key as path segment"] = (Key, "https://collector.example/" + Key + "/"),
        ["key at the end of the path"] = (Key, "https://collector.example/tenants/" + Key),
        ["key in the host"] = (HostKey, "https://" + HostKey + ".collector.example/"),
    };

    [Theory]
    [InlineData("key as password", "must not carry user info")]
    [InlineData("user name only", "must not carry user info")]
    [InlineData("key as path segment", "must not contain the API key")]
    [InlineData("key at the end of the path", "must not contain the API key")]
    [InlineData("key in the host", "must not contain the API key")]
    public void Constructor_EndpointWithUserInfoOrTheKey_ThrowsWithoutEchoingEither(string @case, string rule)
    {
        var (key, endpoint) = Cases[@case];

        var act = () => new GrowlyticsClient(new GrowlyticsOptions { ApiKey = key, Endpoint = new Uri(endpoint), FlushOnProcessExit = false }, startDelivery: false);

        ShouldNameTheRuleOnly(act.Should().Throw<ArgumentException>().Which.Message, rule, key);
    }

    [Fact]
    public void Validate_KeyThatTheUriEscapes_IsFoundEscapedToo()
    {
        const string Escaped = "k{7}|z{9}";
        var options = new GrowlyticsOptions { ApiKey = Escaped, Endpoint = new Uri("https://collector.example/k%7B7%7D%7Cz%7B9%7D/") };

        GrowlyticsSdk.Configuration.OptionsValidation.Validate(options).Should().ContainSingle().Which.Should().Contain("must not contain the API key");
    }

    // A development key shorter than 8 characters is no secret and is part of many addresses: not looked for.
    [Theory]
    [InlineData("s", "https://dcqs-india.growlytics.in/")]
    [InlineData("test", "https://test.collector.example/")]
    [InlineData("localho", "http://localhost:5000/")]
    public void Validate_ShortKeyThatIsPartOfTheEndpoint_IsAccepted(string key, string endpoint) =>
        GrowlyticsSdk.Configuration.OptionsValidation.Validate(new GrowlyticsOptions { ApiKey = key, Endpoint = new Uri(endpoint) }).Should().BeEmpty();

    [Fact]
    public void Validate_KeyOfEightCharacters_IsLookedFor()
    {
        const string EightCharacters = "gk8chars";
        var options = new GrowlyticsOptions { ApiKey = EightCharacters, Endpoint = new Uri("https://collector.example/" + EightCharacters + "/") };

        GrowlyticsSdk.Configuration.OptionsValidation.Validate(options).Should().ContainSingle()
            .Which.Should().Contain("must not contain the API key").And.NotContain(EightCharacters);
    }

    [Fact]
    public void Validate_EndpointWithoutTheKeyOrUserInfo_IsAccepted()
    {
        var options = new GrowlyticsOptions { ApiKey = Key, Endpoint = new Uri("https://collector.example/growlytics/") };

        GrowlyticsSdk.Configuration.OptionsValidation.Validate(options).Should().BeEmpty();
    }

    [Fact]
    public void Constructor_EndpointVariableWithUserInfo_ThrowsSayingWhereTheEndpointCameFrom()
    {
        Environment.SetEnvironmentVariable("GROWLYTICS_ENDPOINT", "https://user:" + Key + "@collector.example/");

        var act = () => new GrowlyticsClient(new GrowlyticsOptions { ApiKey = "other-key", FlushOnProcessExit = false }, startDelivery: false);

        var message = act.Should().Throw<ArgumentException>().Which.Message;
        message.Should().Contain("GROWLYTICS_ENDPOINT environment variable) must not carry user info");
        ShouldNameTheRuleOnly(message, "must not carry user info", Key);
    }

    [Fact]
    public void Constructor_KeyVariableInTheEndpoint_Throws()
    {
        Environment.SetEnvironmentVariable("GROWLYTICS_API_KEY", Key);

        var act = () => new GrowlyticsClient(new GrowlyticsOptions { Endpoint = new Uri("https://collector.example/" + Key + "/"), FlushOnProcessExit = false }, startDelivery: false);

        ShouldNameTheRuleOnly(act.Should().Throw<ArgumentException>().Which.Message, "must not contain the API key", Key);
    }

    [Theory]
    [InlineData("key as password", "must not carry user info")]
    [InlineData("key as path segment", "must not contain the API key")]
    public async Task AddGrowlytics_FromConfiguration_FailsValidationWithoutEchoingEither(string @case, string rule)
    {
        var endpoint = Cases[@case].Endpoint;
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Growlytics:ApiKey"] = Key,
            ["Growlytics:Endpoint"] = endpoint,
        }).Build());
        services.AddGrowlytics();

        await ShouldFailValidationAsync(services, rule);
    }

    [Fact]
    public async Task AddGrowlytics_ConfiguredInCode_FailsValidationWithoutEchoingEither()
    {
        var services = new ServiceCollection();
        services.AddGrowlytics(o =>
        {
            o.ApiKey = Key;
            o.Endpoint = new Uri("https://collector.example/" + Key + "/");
        });

        await ShouldFailValidationAsync(services, "must not contain the API key");
    }

    [Fact]
    public async Task AddGrowlytics_FromTheEnvironment_FailsValidationWithoutEchoingEither()
    {
        Environment.SetEnvironmentVariable("GROWLYTICS_API_KEY", Key);
        Environment.SetEnvironmentVariable("GROWLYTICS_ENDPOINT", "https://collector.example/" + Key + "/");
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().Build());
        services.AddGrowlytics();

        await ShouldFailValidationAsync(services, "must not contain the API key");
    }

    private static async Task ShouldFailValidationAsync(ServiceCollection services, string rule)
    {
        await using var provider = services.BuildServiceProvider();

        var resolve = () => provider.GetRequiredService<IOptions<GrowlyticsOptions>>().Value;

        ShouldNameTheRuleOnly(resolve.Should().Throw<OptionsValidationException>().Which.Message, rule, Key);
    }

    private static void ShouldNameTheRuleOnly(string message, string rule, string key)
    {
        message.Should().Contain("Endpoint").And.Contain(rule);
        message.Contains(key, StringComparison.Ordinal).Should().BeFalse("the message never holds the key");
        message.Contains("collector.example", StringComparison.Ordinal).Should().BeFalse("the message never holds the endpoint");
    }
}
