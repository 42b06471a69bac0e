using GrowlyticsSdk.Tests.TestSupport;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace GrowlyticsSdk.Tests.DependencyInjection;

/// <summary>
/// AddGrowlytics(configuration) given the configuration root instead of its Growlytics section: the options' validation
/// says to pass the section also when GROWLYTICS_API_KEY (a deployment's usual place for it) supplies a key; otherwise
/// the section's settings (Endpoint, Protocol, StorageDirectory, ...) would be ignored without a word and the client
/// would send to the default endpoint with the environment's key.
/// </summary>
[Collection(ProcessStateCollection.Name)]
public sealed class ConfigurationRootWithEnvironmentKeyTests : IDisposable
{
    public ConfigurationRootWithEnvironmentKeyTests()
    {
        Environment.SetEnvironmentVariable("GROWLYTICS_API_KEY", "gk_from_environment");
        Environment.SetEnvironmentVariable("GROWLYTICS_ENDPOINT", null);
    }

    public void Dispose() => Environment.SetEnvironmentVariable("GROWLYTICS_API_KEY", null);

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task AddGrowlytics_GivenTheConfigurationRootWithAKeyInTheEnvironment_StillSaysToPassTheSection(bool keyInTheSection)
    {
        var settings = new Dictionary<string, string?> { ["Growlytics:Endpoint"] = "http://127.0.0.1:7003/" };
        if (keyInTheSection)
        {
            settings["Growlytics:ApiKey"] = "gk_in_the_section_only";
        }

        var root = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddGrowlytics(root);
        await using var provider = services.BuildServiceProvider();

        var resolve = () => provider.GetRequiredService<IOptions<GrowlyticsOptions>>().Value;

        resolve.Should().Throw<OptionsValidationException>("the section's Endpoint would be ignored: found {0}", TryEndpoint(resolve))
            .Which.Message.Should().Contain("pass configuration.GetSection(\"Growlytics\")");
    }

    private static string TryEndpoint(Func<GrowlyticsOptions> resolve)
    {
        try
        {
            return resolve().Endpoint.ToString();
        }
        catch (Exception ex)
        {
            return ex.GetType().Name;
        }
    }
}
