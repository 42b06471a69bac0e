using GrowlyticsSdk.Tests.TestSupport;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace GrowlyticsSdk.Tests.Configuration;

[Collection(ProcessStateCollection.Name)]
public sealed class EnvironmentDefaultsTests : IDisposable
{
    private const string EnvKey = "gk_from_environment";
    private const string EnvEndpoint = "http://127.0.0.1:7001/from-env/";
    private readonly HeaderRecordingHandler _handler = new();
    private readonly HttpClient _http;

    public EnvironmentDefaultsTests()
    {
        _http = new HttpClient(_handler);
        Environment.SetEnvironmentVariable("GROWLYTICS_API_KEY", EnvKey);
        Environment.SetEnvironmentVariable("GROWLYTICS_ENDPOINT", EnvEndpoint);
    }

    public void Dispose()
    {
        Environment.SetEnvironmentVariable("GROWLYTICS_API_KEY", null);
        Environment.SetEnvironmentVariable("GROWLYTICS_ENDPOINT", null);
        _http.Dispose();
    }

    [Fact]
    public async Task Constructor_KeyAndEndpointUnset_TakesBothFromTheEnvironment()
    {
        await using (var client = new GrowlyticsClient(new GrowlyticsOptions { HttpClient = _http, FlushOnProcessExit = false }))
        {
            await SendOneAsync(client);
        }

        _handler.Requests.Should().ContainSingle().Which.Should().Be((new Uri(EnvEndpoint + "rest-api/customer"), EnvKey));
    }

    [Fact]
    public async Task Constructor_KeyAndEndpointSetInCode_CodeWins()
    {
        var options = new GrowlyticsOptions
        {
            ApiKey = "gk_from_code",
            Endpoint = new Uri("http://127.0.0.1:7002/"),
            HttpClient = _http,
            FlushOnProcessExit = false,
        };
        await using (var client = new GrowlyticsClient(options))
        {
            await SendOneAsync(client);
        }

        _handler.Requests.Should().ContainSingle().Which.Should().Be((new Uri("http://127.0.0.1:7002/rest-api/customer"), "gk_from_code"));
    }

    [Fact]
    public async Task Constructor_EndpointSetInCodeToTheDefault_StillWinsOverTheEnvironment()
    {
        var options = new GrowlyticsOptions { HttpClient = _http, FlushOnProcessExit = false };
        options.Endpoint = options.Endpoint;
        await using (var client = new GrowlyticsClient(options))
        {
            await SendOneAsync(client);
        }

        _handler.Requests.Should().ContainSingle().Which.Uri.Host.Should().Be(new GrowlyticsOptions().Endpoint.Host);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    public async Task Constructor_KeyInCodeEmptyOrBlank_TakesTheKeyFromTheEnvironment(string blank)
    {
        await using (var client = new GrowlyticsClient(new GrowlyticsOptions { ApiKey = blank, HttpClient = _http, FlushOnProcessExit = false }))
        {
            await SendOneAsync(client);
        }

        _handler.Requests.Should().ContainSingle().Which.ApiKey.Should().Be(EnvKey);
    }

    [Fact]
    public async Task Constructor_VariablesWithSurroundingWhitespace_AreTakenWithoutIt()
    {
        // As a secret mounted into the environment often comes: with a line break at its end.
        Environment.SetEnvironmentVariable("GROWLYTICS_API_KEY", "  " + EnvKey + "\n");
        Environment.SetEnvironmentVariable("GROWLYTICS_ENDPOINT", " " + EnvEndpoint + "\r\n");

        await using (var client = new GrowlyticsClient(new GrowlyticsOptions { HttpClient = _http, FlushOnProcessExit = false }))
        {
            await SendOneAsync(client);
        }

        _handler.Requests.Should().ContainSingle().Which.Should().Be((new Uri(EnvEndpoint + "rest-api/customer"), EnvKey));
    }

    [Theory]
    [InlineData("/collector/secret-ish")]
    [InlineData("relative/secret-ish")]
    public void Constructor_EndpointVariableAPath_ThrowsSayingItMustBeAnAbsoluteUri(string path)
    {
        Environment.SetEnvironmentVariable("GROWLYTICS_ENDPOINT", path);

        var act = () => new GrowlyticsClient(new GrowlyticsOptions { HttpClient = _http });

        act.Should().Throw<ArgumentException>()
            .Which.Message.Should().Contain("GROWLYTICS_ENDPOINT environment variable must be an absolute URI").And.NotContain("secret-ish");
    }

    [Fact]
    public void Constructor_EndpointVariableNotAUri_ThrowsNamingTheVariableNotTheValue()
    {
        Environment.SetEnvironmentVariable("GROWLYTICS_ENDPOINT", "not a uri secret-ish");

        var act = () => new GrowlyticsClient(new GrowlyticsOptions { HttpClient = _http });

        act.Should().Throw<ArgumentException>()
            .Which.Message.Should().Contain("GROWLYTICS_ENDPOINT").And.NotContain("secret-ish");
    }

    [Fact]
    public void Constructor_EndpointVariableBreaksARule_TheErrorSaysWhereTheEndpointCameFrom()
    {
        Environment.SetEnvironmentVariable("GROWLYTICS_ENDPOINT", "http://example.com/collector-secret/");

        var fromEnvironment = () => new GrowlyticsClient(new GrowlyticsOptions { HttpClient = _http });
        var fromCode = () => new GrowlyticsClient(new GrowlyticsOptions { HttpClient = _http, Endpoint = new Uri("http://example.com/") });

        fromEnvironment.Should().Throw<ArgumentException>().Which.Message.Should()
            .Contain("GrowlyticsOptions.Endpoint (set from the GROWLYTICS_ENDPOINT environment variable) must use https")
            .And.NotContain("collector-secret");
        fromCode.Should().Throw<ArgumentException>().Which.Message.Should()
            .Contain("GrowlyticsOptions.Endpoint must use https").And.NotContain("GROWLYTICS_ENDPOINT");
    }

    [Fact]
    public void Constructor_NoKeyAnywhere_Throws()
    {
        Environment.SetEnvironmentVariable("GROWLYTICS_API_KEY", "  ");

        var act = () => new GrowlyticsClient(new GrowlyticsOptions { HttpClient = _http });

        act.Should().Throw<ArgumentException>().WithMessage("*ApiKey*");
    }

    [Fact]
    public async Task Initialize_NoKeyInCode_UsesTheEnvironment()
    {
        var client = Growlytics.Initialize(new GrowlyticsOptions { HttpClient = _http, FlushOnProcessExit = false });
        try
        {
            await SendOneAsync(client);
        }
        finally
        {
            await Growlytics.ShutdownAsync();
        }

        _handler.Requests.Should().ContainSingle().Which.ApiKey.Should().Be(EnvKey);
    }

    [Fact]
    public async Task AddGrowlytics_NothingConfigured_UsesTheEnvironment()
    {
        var requests = await SendThroughContainerAsync(new Dictionary<string, string?>());

        requests.Should().ContainSingle().Which.Should().Be((new Uri(EnvEndpoint + "rest-api/customer"), EnvKey));
    }

    [Fact]
    public async Task AddGrowlytics_ConfigurationSetsKeyAndEndpoint_ConfigurationWins()
    {
        var requests = await SendThroughContainerAsync(new Dictionary<string, string?>
        {
            ["Growlytics:ApiKey"] = "gk_from_configuration",
            ["Growlytics:Endpoint"] = "http://127.0.0.1:7003/",
        });

        requests.Should().ContainSingle().Which.Should().Be((new Uri("http://127.0.0.1:7003/rest-api/customer"), "gk_from_configuration"));
    }

    [Fact]
    public async Task AddGrowlytics_GivenTheConfigurationRoot_SaysToPassTheGrowlyticsSection()
    {
        Environment.SetEnvironmentVariable("GROWLYTICS_API_KEY", null);
        var root = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Growlytics:ApiKey"] = "gk_in_the_section_only",
            ["Growlytics:Endpoint"] = "http://127.0.0.1:7003/",
        }).Build();
        var services = new ServiceCollection();
        services.AddGrowlytics(root);
        await using var provider = services.BuildServiceProvider();

        var resolve = () => provider.GetRequiredService<IOptions<GrowlyticsOptions>>().Value;

        var message = resolve.Should().Throw<OptionsValidationException>().Which.Message;
        message.Should().Contain("ApiKey is required").And.Contain("pass configuration.GetSection(\"Growlytics\")");
        message.Should().NotContain("gk_in_the_section_only");

        // Given the section, it binds.
        var fixedServices = new ServiceCollection();
        fixedServices.AddGrowlytics(root.GetSection(GrowlyticsOptions.SectionName));
        await using var fixedProvider = fixedServices.BuildServiceProvider();
        fixedProvider.GetRequiredService<IOptions<GrowlyticsOptions>>().Value.ApiKey.Should().Be("gk_in_the_section_only");
    }

    [Fact]
    public async Task AddGrowlytics_EnvironmentEndpointNotAUri_NamesTheVariable_NoParameterOfTheApp()
    {
        Environment.SetEnvironmentVariable("GROWLYTICS_ENDPOINT", "/collector");
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().Build());
        services.AddGrowlytics();
        await using var provider = services.BuildServiceProvider();

        var resolve = () => provider.GetRequiredService<IOptions<GrowlyticsOptions>>().Value;

        // The app passed no "options" parameter: AddGrowlytics builds them from configuration and the environment.
        var thrown = resolve.Should().Throw<ArgumentException>().Which;
        thrown.Message.Should().Contain("GROWLYTICS_ENDPOINT environment variable must be an absolute URI").And.NotContain("/collector");
        thrown.ParamName.Should().BeNull();
    }

    private static async Task SendOneAsync(GrowlyticsClient client)
    {
        // A customer update is one request in either protocol (an anonymous push would be held under REST).
        client.Customers.Update("u-1", new Dictionary<string, object?> { ["plan"] = "pro" });
        await client.FlushAsync();
    }

    private async Task<IReadOnlyList<(Uri Uri, string? ApiKey)>> SendThroughContainerAsync(Dictionary<string, string?> settings)
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        services.AddGrowlytics().ConfigurePrimaryHttpMessageHandler(() => _handler);
        await using var provider = services.BuildServiceProvider();
        var hosted = provider.GetServices<IHostedService>().ToList();
        foreach (var service in hosted)
        {
            await service.StartAsync(CancellationToken.None);
        }

        await SendOneAsync(provider.GetRequiredService<GrowlyticsClient>());
        foreach (var service in hosted)
        {
            await service.StopAsync(CancellationToken.None);
        }

        return _handler.Requests;
    }
}
