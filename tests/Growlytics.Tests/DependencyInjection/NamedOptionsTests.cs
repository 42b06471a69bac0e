using GrowlyticsSdk.Tests.TestSupport;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace GrowlyticsSdk.Tests.DependencyInjection;

/// <summary>
/// <c>AddGrowlytics</c> configures and validates the default (unnamed) options, which its client uses. Named options of
/// the same type are the app's own (for a second client it creates itself, say): the SDK's validator must not fail them
/// for settings only the default options receive.
/// </summary>
[Collection(ProcessStateCollection.Name)]
public sealed class NamedOptionsTests
{
    [Fact]
    public async Task NamedOptions_BesideAddGrowlytics_AreTheAppsOwnAndNotFailedForTheDefaultsRules()
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Growlytics:ApiKey"] = "gk_default",
            ["Growlytics:Endpoint"] = "http://127.0.0.1:7005/",
        }).Build());
        services.AddGrowlytics();
        services.Configure<GrowlyticsOptions>("eu", o => o.MaxQueueSize = 1234);
        await using var provider = services.BuildServiceProvider();
        var monitor = provider.GetRequiredService<IOptionsMonitor<GrowlyticsOptions>>();

        var named = monitor.Get("eu");

        named.MaxQueueSize.Should().Be(1234);
        named.ApiKey.Should().BeNull("only the default options are bound from the Growlytics section");
        monitor.CurrentValue.ApiKey.Should().Be("gk_default");
    }

    [Fact]
    public async Task DefaultOptions_BreakingARule_StillFailValidation()
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Growlytics:Endpoint"] = "http://127.0.0.1:7005/",
        }).Build());
        services.AddGrowlytics();
        await using var provider = services.BuildServiceProvider();

        var act = () => provider.GetRequiredService<IOptionsMonitor<GrowlyticsOptions>>().CurrentValue;

        act.Should().Throw<OptionsValidationException>().WithMessage("*ApiKey*");
    }
}
