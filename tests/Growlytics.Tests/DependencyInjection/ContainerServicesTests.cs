using System.Diagnostics.Metrics;
using GrowlyticsSdk.Tests.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace GrowlyticsSdk.Tests.DependencyInjection;

/// <summary>
/// <c>AddGrowlytics</c>' client "uses the container's <c>ILoggerFactory</c>, <c>TimeProvider</c> and <c>IMeterFactory</c>"
/// (README); a logger factory or a time provider the app gives in the options is its own choice and wins. A null argument
/// is refused as the XML docs say, naming it.
/// </summary>
[Collection(ProcessStateCollection.Name)]
public sealed class ContainerServicesTests
{
    [Fact]
    public async Task Client_UsesTheContainersTimeProviderLoggerFactoryAndMeterFactory()
    {
        var time = new FakeTimeProvider();
        var log = new DeliveryLog();
        using var meters = new DeliveryMeterFactory();
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(time);
        services.AddSingleton<ILoggerFactory>(log);
        services.AddSingleton<IMeterFactory>(meters);
        services.AddGrowlytics(Configure);
        await using var provider = services.BuildServiceProvider();

        var client = provider.GetRequiredService<GrowlyticsClient>();
        client.Logger.LogWarning("through the container's logging");

        client.TimeProvider.Should().BeSameAs(time, "the container's clock");
        log.Entries.Should().Contain(e => e.Text == "through the container's logging");
        meters.Created.Should().NotBeNull("the client's meter comes from the container's factory");
    }

    [Fact]
    public async Task Client_WithATimeProviderAndLoggerFactoryInTheOptions_UsesThoseNotTheContainers()
    {
        var containers = new FakeTimeProvider();
        var apps = new FakeTimeProvider();
        var containerLog = new DeliveryLog();
        var appLog = new DeliveryLog();
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(containers);
        services.AddSingleton<ILoggerFactory>(containerLog);
        services.AddGrowlytics(o =>
        {
            Configure(o);
            o.TimeProvider = apps;
            o.LoggerFactory = appLog;
        });
        await using var provider = services.BuildServiceProvider();

        var client = provider.GetRequiredService<GrowlyticsClient>();
        client.Logger.LogWarning("through the app's logging");

        client.TimeProvider.Should().BeSameAs(apps, "the app chose its clock in the options");
        appLog.Entries.Should().Contain(e => e.Text == "through the app's logging");
        containerLog.Entries.Should().BeEmpty();
    }

    [Fact]
    public void AddGrowlytics_NullArguments_ThrowArgumentNullExceptionNamingThem()
    {
        var services = new ServiceCollection();

        var noServices = () => GrowlyticsServiceCollectionExtensions.AddGrowlytics(null!);
        var noServicesWithConfigure = () => GrowlyticsServiceCollectionExtensions.AddGrowlytics(null!, Configure);
        var noConfigure = () => services.AddGrowlytics((Action<GrowlyticsOptions>)null!);
        var noConfiguration = () => services.AddGrowlytics((Microsoft.Extensions.Configuration.IConfiguration)null!);

        noServices.Should().Throw<ArgumentNullException>().Which.ParamName.Should().Be("services");
        noServicesWithConfigure.Should().Throw<ArgumentNullException>().Which.ParamName.Should().Be("services");
        noConfigure.Should().Throw<ArgumentNullException>().Which.ParamName.Should().Be("configure");
        noConfiguration.Should().Throw<ArgumentNullException>().Which.ParamName.Should().Be("configuration");
        services.Should().BeEmpty("a refused call registers nothing");
    }

    private static void Configure(GrowlyticsOptions options)
    {
        options.ApiKey = "container-key";
        options.Endpoint = new Uri("http://127.0.0.1:9/");
    }
}
