using GrowlyticsSdk.Tests.TestSupport;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace GrowlyticsSdk.Tests.Configuration;

/// <summary>
/// GROWLYTICS_ENDPOINT and GROWLYTICS_API_KEY only fill what code and configuration left unset: a malformed value that
/// is not used (the app sets the setting itself, by any path) is not read, so it fails nothing. Where it is used, it
/// still fails naming the variable, never its value.
/// </summary>
[Collection(ProcessStateCollection.Name)]
public sealed class EnvironmentVariableUnusedTests : IDisposable
{
    private const string CodeEndpoint = "http://127.0.0.1:7010/";
    private const string CodeKey = "gk_from_code";

    public EnvironmentVariableUnusedTests()
    {
        Environment.SetEnvironmentVariable("GROWLYTICS_ENDPOINT", "not a uri secret-ish");
        Environment.SetEnvironmentVariable("GROWLYTICS_API_KEY", "gk env \"quoted\" key");
    }

    public void Dispose()
    {
        Environment.SetEnvironmentVariable("GROWLYTICS_ENDPOINT", null);
        Environment.SetEnvironmentVariable("GROWLYTICS_API_KEY", null);
    }

    [Fact]
    public async Task AddGrowlytics_ThenConfigureSettingBoth_TheVariablesAreNotRead()
    {
        var services = Container();
        services.AddGrowlytics();
        services.Configure<GrowlyticsOptions>(o =>
        {
            o.Endpoint = new Uri(CodeEndpoint);
            o.ApiKey = CodeKey;
        });
        await using var provider = services.BuildServiceProvider();

        var options = provider.GetRequiredService<IOptions<GrowlyticsOptions>>().Value;

        options.Endpoint.Should().Be(new Uri(CodeEndpoint));
        options.ApiKey.Should().Be(CodeKey);
    }

    [Fact]
    public async Task AddGrowlytics_ThenPostConfigureSettingTheEndpoint_TheVariableIsNotRead()
    {
        var services = Container();
        services.AddGrowlytics(o => o.ApiKey = CodeKey);
        services.PostConfigure<GrowlyticsOptions>(o => o.Endpoint = new Uri(CodeEndpoint));
        await using var provider = services.BuildServiceProvider();

        provider.GetRequiredService<IOptions<GrowlyticsOptions>>().Value.Endpoint.Should().Be(new Uri(CodeEndpoint));
    }

    [Fact]
    public async Task AddGrowlytics_DelegateSettingBoth_TheVariablesAreNotRead()
    {
        var services = Container();
        services.AddGrowlytics(o =>
        {
            o.Endpoint = new Uri(CodeEndpoint);
            o.ApiKey = CodeKey;
        });
        await using var provider = services.BuildServiceProvider();

        var options = provider.GetRequiredService<IOptions<GrowlyticsOptions>>().Value;

        options.Endpoint.Should().Be(new Uri(CodeEndpoint));
        options.ApiKey.Should().Be(CodeKey);
    }

    [Fact]
    public async Task AddGrowlytics_ConfigurationSettingBoth_TheVariablesAreNotRead()
    {
        var section = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Growlytics:ApiKey"] = CodeKey,
            ["Growlytics:Endpoint"] = CodeEndpoint,
        }).Build().GetSection(GrowlyticsOptions.SectionName);
        var services = new ServiceCollection();
        services.AddGrowlytics(section);
        await using var provider = services.BuildServiceProvider();

        var options = provider.GetRequiredService<IOptions<GrowlyticsOptions>>().Value;

        options.Endpoint.Should().Be(new Uri(CodeEndpoint));
        options.ApiKey.Should().Be(CodeKey);
    }

    [Fact]
    public async Task ConstructorAndInitialize_OptionsSettingBoth_TheVariablesAreNotRead()
    {
        var options = new GrowlyticsOptions { ApiKey = CodeKey, Endpoint = new Uri(CodeEndpoint), FlushOnProcessExit = false };

        await using (var client = new GrowlyticsClient(options, startDelivery: false))
        {
        }

        Growlytics.Initialize(options);
        await Growlytics.ShutdownAsync();
    }

    [Fact]
    public async Task AddGrowlytics_ThenConfigureLeavingTheEndpointUnset_TheVariableStillFailsNamingItNotItsValue()
    {
        var services = Container();
        services.AddGrowlytics();
        services.Configure<GrowlyticsOptions>(o => o.ApiKey = CodeKey);
        await using var provider = services.BuildServiceProvider();

        var resolve = () => provider.GetRequiredService<IOptions<GrowlyticsOptions>>().Value;

        var thrown = resolve.Should().Throw<ArgumentException>().Which;
        thrown.Message.Should().Contain("GROWLYTICS_ENDPOINT environment variable must be an absolute URI")
            .And.NotContain("secret-ish").And.NotContain("quoted");
        thrown.ParamName.Should().BeNull();
    }

    private static ServiceCollection Container()
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().Build());
        return services;
    }
}
