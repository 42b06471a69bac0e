using GrowlyticsSdk.Tests.TestSupport;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace GrowlyticsSdk.Tests.DependencyInjection;

/// <summary>
/// The app's own <c>services.Configure&lt;GrowlyticsOptions&gt;</c>, <c>PostConfigure</c> or <c>AddOptions().Bind</c>
/// beside <c>AddGrowlytics</c>: options are configured in registration order, as everywhere in .NET. A setting the
/// configuration section holds overrides what an earlier <c>Configure</c> set; one it does not hold is kept. The host's
/// defaults (<see cref="SessionMode.RequireScope"/>, no process-exit flush) are defaults, applied before every
/// <c>Configure</c>: they used to be applied with the configuration, after an earlier <c>Configure</c>, and reset its
/// session mode although no configuration mentioned it.
/// </summary>
[Collection(ProcessStateCollection.Name)]
public sealed class ConfigureBeforeAddGrowlyticsTests
{
    [Fact]
    public async Task ConfigureBeforeAddGrowlytics_SettingsConfigurationDoesNotHold_AreKept()
    {
        var services = Services(new Dictionary<string, string?> { ["Growlytics:ApiKey"] = "gk_from_configuration", ["Growlytics:Endpoint"] = "http://127.0.0.1:7005/" });
        services.Configure<GrowlyticsOptions>(o =>
        {
            o.SessionMode = SessionMode.ProcessWide;
            o.FlushOnProcessExit = true;
            o.MaxQueueSize = 1234;
            o.Protocol = GrowlyticsProtocol.Batch;
        });
        services.AddGrowlytics();
        await using var provider = services.BuildServiceProvider();

        var options = provider.GetRequiredService<IOptions<GrowlyticsOptions>>().Value;

        options.SessionMode.Should().Be(SessionMode.ProcessWide, "no configuration holds a session mode: the app's Configure is the only setting");
        options.FlushOnProcessExit.Should().BeTrue("the app set it, and configuration does not read it");
        options.MaxQueueSize.Should().Be(1234);
        options.Protocol.Should().Be(GrowlyticsProtocol.Batch);
        options.Endpoint.Should().Be(new Uri("http://127.0.0.1:7005/"));
    }

    [Fact]
    public async Task ConfigureBeforeAddGrowlytics_SettingsConfigurationHolds_ConfigurationWinsAsRegisteredLater()
    {
        var services = Services(new Dictionary<string, string?>
        {
            ["Growlytics:ApiKey"] = "gk_from_configuration",
            ["Growlytics:Endpoint"] = "http://127.0.0.1:7005/",
            ["Growlytics:SessionMode"] = "RequireScope",
            ["Growlytics:MaxQueueSize"] = "2000",
        });
        services.Configure<GrowlyticsOptions>(o =>
        {
            o.SessionMode = SessionMode.ProcessWide;
            o.MaxQueueSize = 1234;
        });
        services.AddGrowlytics();
        await using var provider = services.BuildServiceProvider();

        var options = provider.GetRequiredService<IOptions<GrowlyticsOptions>>().Value;

        options.SessionMode.Should().Be(SessionMode.RequireScope, "the binding registered after the app's Configure sets what configuration holds");
        options.MaxQueueSize.Should().Be(2000);
    }

    [Fact]
    public async Task NoAppConfigure_HostDefaults_StillApply_AndConfigurationAndTheDelegateOverrideThem()
    {
        var services = Services(new Dictionary<string, string?> { ["Growlytics:ApiKey"] = "gk_from_configuration", ["Growlytics:Endpoint"] = "http://127.0.0.1:7005/" });
        services.AddGrowlytics();
        await using (var provider = services.BuildServiceProvider())
        {
            var options = provider.GetRequiredService<IOptions<GrowlyticsOptions>>().Value;

            options.SessionMode.Should().Be(SessionMode.RequireScope);
            options.FlushOnProcessExit.Should().BeFalse();
        }

        services = Services(new Dictionary<string, string?> { ["Growlytics:ApiKey"] = "gk_from_configuration", ["Growlytics:SessionMode"] = "ProcessWide" });
        services.AddGrowlytics(o => o.FlushOnProcessExit = true);
        await using (var provider = services.BuildServiceProvider())
        {
            var options = provider.GetRequiredService<IOptions<GrowlyticsOptions>>().Value;

            options.SessionMode.Should().Be(SessionMode.ProcessWide);
            options.FlushOnProcessExit.Should().BeTrue();
        }
    }

    [Fact]
    public async Task PostConfigure_BeforeOrAfterAddGrowlytics_WinsOverConfigurationAndTheDelegate()
    {
        var services = Services(new Dictionary<string, string?>
        {
            ["Growlytics:ApiKey"] = "gk_from_configuration",
            ["Growlytics:Endpoint"] = "http://127.0.0.1:7005/",
            ["Growlytics:MaxQueueSize"] = "2000",
        });
        services.PostConfigure<GrowlyticsOptions>(o => o.MaxQueueSize = 4000);
        services.AddGrowlytics(o =>
        {
            o.MaxQueueSize = 3000;
            o.MaxConcurrentRequests = 3;
        });
        services.PostConfigure<GrowlyticsOptions>(o => o.SessionMode = SessionMode.ProcessWide);
        await using var provider = services.BuildServiceProvider();

        var options = provider.GetRequiredService<IOptions<GrowlyticsOptions>>().Value;

        options.MaxQueueSize.Should().Be(4000);
        options.MaxConcurrentRequests.Should().Be(3);
        options.SessionMode.Should().Be(SessionMode.ProcessWide);
    }

    [Fact]
    public async Task AppsOwnBindBeforeAddGrowlytics_ItsSettingsAreKept_TheGrowlyticsSectionsToo()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Growlytics:ApiKey"] = "gk_from_configuration",
            ["Growlytics:Endpoint"] = "http://127.0.0.1:7005/",
            ["Analytics:SessionMode"] = "ProcessWide",
            ["Analytics:MaxQueueSize"] = "1234",
        }).Build();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddOptions<GrowlyticsOptions>().Bind(configuration.GetSection("Analytics"));
        services.AddGrowlytics();
        await using var provider = services.BuildServiceProvider();

        var options = provider.GetRequiredService<IOptions<GrowlyticsOptions>>().Value;

        options.SessionMode.Should().Be(SessionMode.ProcessWide);
        options.MaxQueueSize.Should().Be(1234);
        options.Endpoint.Should().Be(new Uri("http://127.0.0.1:7005/"));
    }

    [Fact]
    public async Task ConfigureBeforeAddGrowlytics_TheClientUsesItsSessionMode()
    {
        var services = Services(new Dictionary<string, string?> { ["Growlytics:ApiKey"] = "gk_from_configuration", ["Growlytics:Endpoint"] = "http://127.0.0.1:7005/" });
        services.Configure<GrowlyticsOptions>(o => o.SessionMode = SessionMode.ProcessWide);
        services.AddGrowlytics();
        await using var provider = services.BuildServiceProvider();
        var client = provider.GetRequiredService<GrowlyticsClient>();

        var user = () => client.User.AnonymousId;

        user.Should().NotThrow("a process-wide session is the current user outside a scope");
    }

    private static ServiceCollection Services(Dictionary<string, string?> settings)
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        return services;
    }
}
