using GrowlyticsSdk.Tests.TestSupport;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace GrowlyticsSdk.Tests.DependencyInjection;

/// <summary>A service collection copied from another (a child container, a test host) gets its own registrations.</summary>
[Collection(ProcessStateCollection.Name)]
public sealed class AddGrowlyticsCopiedCollectionTests
{
    [Fact]
    public async Task AddGrowlytics_OnACopyOfTheCollection_DoesNotChangeTheOriginalsOptions()
    {
        var original = new ServiceCollection();
        original.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Growlytics:Endpoint"] = "http://127.0.0.1:7005/" }).Build());
        original.AddGrowlytics(o => o.ApiKey = "gk_original");

        var copy = new ServiceCollection();
        foreach (var descriptor in original)
        {
            ((ICollection<ServiceDescriptor>)copy).Add(descriptor);
        }

        copy.AddGrowlytics(o => o.ApiKey = "gk_copy");

        await using var first = original.BuildServiceProvider();
        first.GetRequiredService<IOptions<GrowlyticsOptions>>().Value.ApiKey.Should().Be("gk_original", "the copy's call was made on another collection");
        await using var second = copy.BuildServiceProvider();
        second.GetRequiredService<IOptions<GrowlyticsOptions>>().Value.ApiKey.Should().Be("gk_copy");
    }
}
