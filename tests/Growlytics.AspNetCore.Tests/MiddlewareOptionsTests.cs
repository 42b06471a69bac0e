using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace GrowlyticsSdk.AspNetCore.Tests;

/// <summary>
/// Names the middleware cannot use are refused when the pipeline is built, naming the option and the rule: a cookie name
/// that is not an HTTP token used to fail every request of a new visitor (the cookie could not be written), and a
/// header name that is not one can never arrive. The client is created there too, so options given to <c>AddGrowlytics</c>
/// that break a rule throw there as the host's start-up check throws them (<c>OptionsValidationException</c>, which the
/// XML docs called an <c>ArgumentException</c>), and a configuration value that cannot be parsed, naming its key.
/// </summary>
[Collection(WebAppCollection.Name)]
public sealed class MiddlewareOptionsTests
{
    [Theory]
    [InlineData("")]
    [InlineData(" ")]
    [InlineData("growlytics anon")]
    [InlineData("anon;id")]
    [InlineData("anon=id")]
    [InlineData("anón")]
    public async Task UseGrowlytics_CookieNameNotAToken_ThrowsNamingTheOption(string name)
    {
        await using var app = Build();

        var act = () => app.UseGrowlytics(o => o.AnonymousIdCookieName = name);

        act.Should().Throw<ArgumentException>().WithMessage("*AnonymousIdCookieName*token*");
    }

    [Theory]
    [InlineData("")]
    [InlineData("X-Anonymous Id")]
    [InlineData("X-Anonymous:Id")]
    public async Task UseGrowlytics_HeaderNameNotAToken_ThrowsNamingTheOption(string name)
    {
        await using var app = Build();

        var act = () => app.UseGrowlytics(o => o.AnonymousIdHeaderName = name);

        act.Should().Throw<ArgumentException>().WithMessage("*AnonymousIdHeaderName*token*");
    }

    [Fact]
    public async Task UseGrowlytics_BlankClaimTypeWithAuthenticatedUsers_ThrowsNamingTheOption()
    {
        await using var app = Build();

        var act = () => app.UseGrowlytics(o => o.UserIdClaimType = " ");

        act.Should().Throw<ArgumentException>().WithMessage("*UserIdClaimType*");
    }

    [Fact]
    public async Task NewVisitor_WithATokenCookieName_GetsTheCookie()
    {
        await using var collector = await RecordingCollector.StartAsync();
        var builder = WebApplication.CreateBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Services.AddGrowlytics(o =>
        {
            o.ApiKey = RecordingCollector.ApiKey;
            o.Endpoint = collector.Endpoint;
        });
        await using var app = builder.Build();
        app.UseGrowlytics(o =>
        {
            o.AnonymousIdCookieName = "gl.anon-id!";
            o.AnonymousIdHeaderName = "X-Growlytics-Anonymous-Id";
        });
        app.MapGet("/", () => Results.Ok(Growlytics.User.AnonymousId));
        await app.StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };

        using var response = await http.GetAsync(new Uri("/", UriKind.Relative));

        response.StatusCode.Should().Be(System.Net.HttpStatusCode.OK);
        response.Headers.GetValues("Set-Cookie").Should().ContainSingle().Which.Should().StartWith("gl.anon-id!=");
    }

    [Fact]
    public async Task UseGrowlytics_WithoutAddGrowlytics_ThrowsWhenThePipelineIsBuilt_SayingToCallIt()
    {
        var builder = WebApplication.CreateBuilder();
        builder.Logging.ClearProviders();
        await using var app = builder.Build();

        var act = () => app.UseGrowlytics(o => o.AnonymousIdCookieName = "gl_anon");

        act.Should().Throw<InvalidOperationException>().WithMessage("*AddGrowlytics*");
    }

    [Fact]
    public async Task UseGrowlytics_AddGrowlyticsOptionsBreakingRules_ThrowWhenThePipelineIsBuilt_AsTheHostsStartUpCheckDoes()
    {
        var builder = WebApplication.CreateBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddGrowlytics(o =>
        {
            o.ApiKey = RecordingCollector.ApiKey;
            o.Endpoint = new Uri("http://example.com/");
            o.MaxBatchSize = 0;
        });
        await using var app = builder.Build();

        // The client is created when the pipeline is built: the options' validation throws there, listing every problem.
        var plain = () => app.UseGrowlytics();
        var configured = () => app.UseGrowlytics(o => o.AnonymousIdCookieName = "gl_anon");

        plain.Should().Throw<OptionsValidationException>().WithMessage("*Endpoint must use https*MaxBatchSize must be between 1 and 10000*");
        configured.Should().Throw<OptionsValidationException>().WithMessage("*Endpoint must use https*MaxBatchSize must be between 1 and 10000*");
    }

    [Fact]
    public async Task UseGrowlytics_AConfigurationValueThatCannotBeParsed_ThrowsWhenThePipelineIsBuilt_NamingTheKey()
    {
        var builder = WebApplication.CreateBuilder();
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Growlytics:ApiKey"] = RecordingCollector.ApiKey,
            ["Growlytics:MaxBatchSize"] = "many",
        });
        builder.Services.AddGrowlytics();
        await using var app = builder.Build();

        var act = () => app.UseGrowlytics(o => o.AnonymousIdCookieName = "gl_anon");

        act.Should().Throw<InvalidOperationException>().WithMessage("*Growlytics:MaxBatchSize*").Which.Message.Should().NotContain("many");
    }

    [Fact]
    public async Task UseGrowlytics_NullArguments_ThrowArgumentNullExceptionNamingThem()
    {
        await using var app = Build();

        var noConfigure = () => app.UseGrowlytics(configure: null!);
        var noApp = () => ((IApplicationBuilder)null!).UseGrowlytics();
        var noAppWithConfigure = () => ((IApplicationBuilder)null!).UseGrowlytics(o => o.AnonymousIdCookieName = "gl_anon");

        noConfigure.Should().Throw<ArgumentNullException>().Which.ParamName.Should().Be("configure");
        noApp.Should().Throw<ArgumentNullException>().Which.ParamName.Should().Be("app");
        noAppWithConfigure.Should().Throw<ArgumentNullException>().Which.ParamName.Should().Be("app");
    }

    private static WebApplication Build()
    {
        var builder = WebApplication.CreateBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddGrowlytics(o => o.ApiKey = RecordingCollector.ApiKey);
        return builder.Build();
    }
}
