using System.Reflection;

namespace GrowlyticsSdk.Tests.Configuration;

/// <summary>
/// <c>Growlytics.Initialize(apiKey, configure)</c> documents a <see langword="null"/> key as supported (the
/// <c>GROWLYTICS_API_KEY</c> environment variable then gives it, as for <see cref="GrowlyticsOptions.ApiKey"/>, which is
/// nullable). The parameter's annotation says so, so a nullable-enabled app that passes a maybe-null key (read from its own
/// settings, for the variable to fill) is not warned for a call the SDK accepts.
/// </summary>
public sealed class InitializeApiKeyAnnotationTests
{
    [Fact]
    public void Initialize_ApiKeyParameter_AcceptsNullAsItsDocsSay()
    {
        var method = typeof(Growlytics).GetMethod(nameof(Growlytics.Initialize), [typeof(string), typeof(Action<GrowlyticsOptions>)])!;
        var apiKey = method.GetParameters().Single(p => p.Name == "apiKey");

        new NullabilityInfoContext().Create(apiKey).WriteState.Should().Be(NullabilityState.Nullable);
    }

    [Fact]
    public void OptionsApiKey_IsNullableToo()
    {
        var property = typeof(GrowlyticsOptions).GetProperty(nameof(GrowlyticsOptions.ApiKey))!;

        new NullabilityInfoContext().Create(property).WriteState.Should().Be(NullabilityState.Nullable);
    }
}
