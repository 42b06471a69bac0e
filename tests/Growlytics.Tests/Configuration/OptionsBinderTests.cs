using GrowlyticsSdk.DependencyInjection;
using Microsoft.Extensions.Configuration;

namespace GrowlyticsSdk.Tests.Configuration;

/// <summary>The configuration binder: values that do not parse are reported together, by key, never by value.</summary>
public sealed class OptionsBinderTests
{
    [Fact]
    public void Bind_SeveralValuesThatDoNotParse_NamesEachKeyAndNoValue()
    {
        var section = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Growlytics:ApiKey"] = "secret-key-value",
            ["Growlytics:FlushInterval"] = "soon",
            ["Growlytics:MaxBatchSize"] = "many",
            ["Growlytics:Protocol"] = "carrier-pigeon",
            ["Growlytics:MaxQueueSize"] = "500",
        }).Build().GetSection(GrowlyticsOptions.SectionName);
        var options = new GrowlyticsOptions();

        var bind = () => OptionsBinder.Bind(section, options);

        var message = bind.Should().Throw<InvalidOperationException>().Which.Message;
        message.Should().Contain("Growlytics:FlushInterval").And.Contain("Growlytics:MaxBatchSize").And.Contain("Growlytics:Protocol");
        message.Should().NotContain("soon").And.NotContain("many").And.NotContain("carrier-pigeon").And.NotContain("secret-key-value");
        message.Should().NotContain("MaxQueueSize", "that value parses");
    }
}
