using GrowlyticsSdk.Tests.TestSupport;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace GrowlyticsSdk.Tests.DependencyInjection;

/// <summary>
/// A key in the Growlytics section that the SDK does not read (a misspelt option, or one that is not read from
/// configuration) is not ignored without a word: the client says so once when it is created, naming the key, never its
/// value. It does not fail the start: a section may carry a setting for a later SDK version.
/// </summary>
[Collection(ProcessStateCollection.Name)]
public sealed class UnknownConfigurationKeyTests
{
    [Fact]
    public async Task AddGrowlytics_SectionWithAMisspeltKey_WarnsOnceNamingTheKeyNotItsValue()
    {
        var log = new DeliveryLog();
        await using var provider = Container(log, new Dictionary<string, string?>
        {
            ["Growlytics:MaxQueSize"] = "5000",
            ["Growlytics:FlushOnProcessExit"] = "false",
        });

        var client = provider.GetRequiredService<GrowlyticsClient>();

        client.Should().NotBeNull();
        var warning = log.WithId(1015).Should().ContainSingle().Which;
        warning.Level.Should().Be(LogLevel.Warning);
        warning.Text.Should().Contain("Growlytics:MaxQueSize").And.Contain("Growlytics:FlushOnProcessExit")
            .And.NotContain("5000").And.NotContain("false").And.NotContain("gk_section_key");
        log.Entries.Should().NotContain(e => e.Text.Contains("gk_section_key"));
    }

    [Fact]
    public async Task AddGrowlytics_SectionWithKnownKeysOnly_DoesNotWarn()
    {
        var log = new DeliveryLog();
        await using var provider = Container(log, new Dictionary<string, string?>
        {
            ["Growlytics:maxqueuesize"] = "5000",
            ["Growlytics:StorageDirectory"] = string.Empty,
        });

        provider.GetRequiredService<GrowlyticsClient>().Should().NotBeNull();

        log.WithId(1015).Should().BeEmpty("every key is an option, in any case");
    }

    [Fact]
    public void ReadKeys_AreEveryPublicOptionButThoseSetInCodeOnly()
    {
        // A new option added to GrowlyticsOptions and bound from configuration must be known here too, or its key would
        // be warned about as unread.
        string[] codeOnly = [nameof(GrowlyticsOptions.FlushOnProcessExit), nameof(GrowlyticsOptions.HttpClient), nameof(GrowlyticsOptions.LoggerFactory), nameof(GrowlyticsOptions.TimeProvider)];
        var options = typeof(GrowlyticsOptions).GetProperties(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Instance)
            .Where(p => p.SetMethod is { IsPublic: true })
            .Select(p => p.Name)
            .Except(codeOnly);

        GrowlyticsSdk.DependencyInjection.OptionsBinder.ReadKeys.Should().BeEquivalentTo(options);
    }

    private static ServiceProvider Container(DeliveryLog log, Dictionary<string, string?> settings)
    {
        settings["Growlytics:ApiKey"] = "gk_section_key";
        settings["Growlytics:Endpoint"] = "http://127.0.0.1:9/";
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddSingleton<ILoggerFactory>(log);
        services.AddGrowlytics(configuration.GetSection(GrowlyticsOptions.SectionName));
        return services.BuildServiceProvider();
    }
}
