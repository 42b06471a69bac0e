using System.Net.Http.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace GrowlyticsSdk.AspNetCore.Tests;

/// <summary>
/// <c>UseGrowlytics</c> added twice to one pipeline (the app's, and a shared defaults extension's) scopes each request
/// once: the outer middleware's scope is the request's, and the cookie it writes carries the anonymous id the request
/// used. Each middleware used to open a scope of its own and write its own cookie, so the browser kept the outer's id
/// while the request's pushes went under the inner's, and the login after it no longer carried them.
/// </summary>
[Collection(WebAppCollection.Name)]
public sealed class UseGrowlyticsTwiceTests
{
    private const string Cookie = "gl_anon";

    [Fact]
    public async Task UseGrowlyticsTwice_NewVisitor_OneCookieCarryingTheRequestsAnonymousId()
    {
        await using var collector = await RecordingCollector.StartAsync();
        await using var app = await StartAsync(collector.Endpoint);
        using var http = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };

        using var response = await http.PostAsync(new Uri("/push", UriKind.Relative), content: null);

        var anonymousId = await response.Content.ReadFromJsonAsync<string>();
        response.Headers.GetValues("Set-Cookie").Should().ContainSingle()
            .Which.Should().StartWith(Cookie + "=" + anonymousId + ";");
    }

    [Fact]
    public async Task UseGrowlyticsTwice_AnonymousPushThenLogin_TheLoginCarriesThePush()
    {
        await using var collector = await RecordingCollector.StartAsync();
        await using var app = await StartAsync(collector.Endpoint);
        using var http = new HttpClient(new HttpClientHandler { UseCookies = true }) { BaseAddress = new Uri(app.Urls.First()) };

        (await http.PostAsync(new Uri("/push", UriKind.Relative), content: null)).EnsureSuccessStatusCode();
        (await http.PostAsync(new Uri("/login", UriKind.Relative), content: null)).EnsureSuccessStatusCode();
        await app.Services.GetRequiredService<GrowlyticsClient>().FlushAsync();

        collector.Upserts.Should().ContainSingle().Which.Attributes.Should().ContainKey("city").And.ContainKey("plan");
    }

    [Fact]
    public async Task ExceptionHandlerReExecution_TheErrorPageRunsInAScope()
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
        app.UseExceptionHandler("/error");
        app.UseGrowlytics();
        app.MapGet("/fail", IResult () => throw new InvalidOperationException("the endpoint failed"));
        app.Map("/error", () => Results.Ok(Growlytics.User.AnonymousId));
        await app.StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };

        using var response = await http.GetAsync(new Uri("/fail", UriKind.Relative));

        response.StatusCode.Should().Be(System.Net.HttpStatusCode.OK, "the re-executed pipeline opens a scope of its own");
    }

    private static async Task<WebApplication> StartAsync(Uri collector)
    {
        var builder = WebApplication.CreateBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Services.AddGrowlytics(o =>
        {
            o.ApiKey = RecordingCollector.ApiKey;
            o.Endpoint = collector;
        });

        var app = builder.Build();
        app.UseGrowlytics(o => o.AnonymousIdCookieName = Cookie);
        app.UseGrowlytics(o => o.AnonymousIdCookieName = Cookie);
        app.MapPost("/push", () =>
        {
            Growlytics.User.Push(new { city = "Pune" });
            return Results.Ok(Growlytics.User.AnonymousId);
        });
        app.MapPost("/login", () =>
        {
            Growlytics.User.Identify("alice", new { plan = "pro" });
            return Results.Ok();
        });
        await app.StartAsync();
        return app;
    }
}
