using GrowlyticsSdk.Tests.TestSupport;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace GrowlyticsSdk.Tests.DependencyInjection;

/// <summary>
/// A time option in configuration written as a bare number ("RetryBudget": "1") is read as days, as Microsoft's binder
/// reads it, and kept; a value in range was taken without a word by a developer who meant seconds. The client says so
/// once when it is created (event 1017), naming the keys, never their values or the API key.
/// </summary>
[Collection(ProcessStateCollection.Name)]
public sealed class TimeReadAsDaysWarningTests
{
    [Fact]
    public async Task AddGrowlytics_TimesWrittenAsBareNumbers_AreReadAsDaysAndWarnedOnceNamingTheKeys()
    {
        var log = new DeliveryLog();
        await using var provider = Container(log, new Dictionary<string, string?>
        {
            ["Growlytics:RetryBudget"] = "1",
            ["Growlytics:MaxStorageAge"] = " 5 ",
            ["Growlytics:FlushInterval"] = "00:00:05",
        });

        provider.GetRequiredService<GrowlyticsClient>().Should().NotBeNull();

        var options = provider.GetRequiredService<IOptions<GrowlyticsOptions>>().Value;
        options.RetryBudget.Should().Be(TimeSpan.FromDays(1), "Microsoft's binder reads it so too");
        options.MaxStorageAge.Should().Be(TimeSpan.FromDays(5));
        var warning = log.WithId(1017).Should().ContainSingle().Which;
        warning.Level.Should().Be(LogLevel.Warning);
        warning.Text.Should().Contain("Growlytics:RetryBudget").And.Contain("Growlytics:MaxStorageAge").And.Contain("days")
            .And.NotContain("FlushInterval").And.NotContain("gk_section_key");
        log.Entries.Should().NotContain(e => e.Text.Contains("gk_section_key"));
    }

    [Theory]
    [InlineData("ShutdownTimeout", "00:00:05")]
    [InlineData("MaxStorageAge", "1.00:00:00")]
    [InlineData("ShutdownTimeout", "0")]
    public async Task AddGrowlytics_TimesWithTheirUnitWrittenOutOrZero_DoNotWarn(string key, string value)
    {
        var log = new DeliveryLog();
        await using var provider = Container(log, new Dictionary<string, string?> { ["Growlytics:" + key] = value });

        provider.GetRequiredService<GrowlyticsClient>().Should().NotBeNull();

        log.WithId(1017).Should().BeEmpty();
    }

    [Theory]
    [InlineData("FlushInterval", "5")]
    [InlineData("ShutdownTimeout", " 2 ")]
    public async Task AddGrowlytics_BareNumberOutOfRange_TheStartUpErrorSaysItWasReadAsDays(string key, string value)
    {
        // No client is made, so event 1017 never comes: the error is all the developer sees.
        var log = new DeliveryLog();
        await using var provider = Container(log, new Dictionary<string, string?> { ["Growlytics:" + key] = value });

        var start = () => provider.GetRequiredService<GrowlyticsClient>();

        var error = start.Should().Throw<OptionsValidationException>().Which.Message;
        error.Should().Contain("GrowlyticsOptions." + key + " must be between")
            .And.Contain("Growlytics:" + key + " is written as a bare number, which is read as a number of days")
            .And.Contain("00:00:05 is 5 seconds")
            .And.NotContain("gk_section_key");
    }

    [Fact]
    public async Task AddGrowlytics_OutOfRangeWithItsUnitWrittenOut_TheErrorSaysNothingOfDays()
    {
        var log = new DeliveryLog();
        await using var provider = Container(log, new Dictionary<string, string?>
        {
            ["Growlytics:FlushInterval"] = "5.00:00:00",
            ["Growlytics:RetryBudget"] = "1",
        });

        var start = () => provider.GetRequiredService<GrowlyticsClient>();

        var error = start.Should().Throw<OptionsValidationException>().Which.Message;
        error.Should().Contain("GrowlyticsOptions.FlushInterval must be between").And.NotContain("bare number", "the unit was written out, and RetryBudget (1 day) is in range");
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
