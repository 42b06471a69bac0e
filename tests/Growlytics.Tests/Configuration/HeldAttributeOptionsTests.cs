using GrowlyticsSdk.Configuration;
using GrowlyticsSdk.DependencyInjection;
using Microsoft.Extensions.Configuration;

namespace GrowlyticsSdk.Tests.Configuration;

/// <summary>The held-anonymous-attribute options: defaults, ranges and configuration binding.</summary>
public sealed class HeldAttributeOptionsTests
{
    [Fact]
    public void Defaults_AreThirtyMinutesAndTenThousandVisitors()
    {
        var options = new GrowlyticsOptions();

        options.AnonymousAttributeRetention.Should().Be(TimeSpan.FromMinutes(30));
        options.MaxHeldAnonymousSessions.Should().Be(10_000);
    }

    [Theory]
    [InlineData(59, false)]
    [InlineData(60, true)]
    [InlineData(86_400, true)]
    [InlineData(86_401, false)]
    public void Validate_AnonymousAttributeRetention_AcceptsOneMinuteToOneDay(int seconds, bool valid)
    {
        var errors = OptionsValidation.Validate(new GrowlyticsOptions { ApiKey = "k", AnonymousAttributeRetention = TimeSpan.FromSeconds(seconds) });

        errors.Any(e => e.Contains(nameof(GrowlyticsOptions.AnonymousAttributeRetention), StringComparison.Ordinal)).Should().Be(!valid);
    }

    [Theory]
    [InlineData(0, false)]
    [InlineData(1, true)]
    [InlineData(1_000_000, true)]
    [InlineData(1_000_001, false)]
    public void Validate_MaxHeldAnonymousSessions_AcceptsOneToAMillion(int value, bool valid)
    {
        var errors = OptionsValidation.Validate(new GrowlyticsOptions { ApiKey = "k", MaxHeldAnonymousSessions = value });

        errors.Any(e => e.Contains(nameof(GrowlyticsOptions.MaxHeldAnonymousSessions), StringComparison.Ordinal)).Should().Be(!valid);
    }

    [Fact]
    public void Bind_ConfigurationSection_SetsBothOptions()
    {
        var section = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["AnonymousAttributeRetention"] = "00:45:00",
            ["MaxHeldAnonymousSessions"] = "500",
        }).Build();
        var options = new GrowlyticsOptions();

        OptionsBinder.Bind(section, options);

        options.AnonymousAttributeRetention.Should().Be(TimeSpan.FromMinutes(45));
        options.MaxHeldAnonymousSessions.Should().Be(500);
    }
}
