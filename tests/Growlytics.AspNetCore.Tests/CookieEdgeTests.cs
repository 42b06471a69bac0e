using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace GrowlyticsSdk.AspNetCore.Tests;

/// <summary>
/// The anonymous-id cookie at the edges of a request: a request re-executed by an exception handler writes one cookie,
/// carrying the id its pushes went under; a response that started before the middleware ran does not fail the request;
/// and while the client is opted out a new visitor gets no tracking cookie. The cookie's attributes are the README's:
/// <c>HttpOnly</c>, <c>SameSite=Lax</c>, path <c>/</c>, one year, <c>Secure</c> on https requests, not essential (a
/// cookie-consent policy holds it back); a returning visitor's unchanged id is not written again.
/// </summary>
[Collection(WebAppCollection.Name)]
public sealed class CookieEdgeTests
{
    private const string Cookie = "gl_anon";
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task ExceptionHandlerReExecution_NewVisitor_OneCookie_AndTheLoginCarriesWhatTheFailedRequestPushed()
    {
        await using var collector = await RecordingCollector.StartAsync();
        await using var app = await StartAsync(collector.Endpoint, pipeline: null);
        var client = app.Services.GetRequiredService<GrowlyticsClient>();
        var jar = new CookieContainer();
        using var http = new HttpClient(new SocketsHttpHandler { CookieContainer = jar }) { BaseAddress = new Uri(app.Urls.First()) };

        using var failed = await http.PostAsync(new Uri("/fail", UriKind.Relative), content: null);
        var errorPageId = await failed.Content.ReadAsStringAsync();
        (await http.PostAsync(new Uri("/login", UriKind.Relative), content: null)).EnsureSuccessStatusCode();
        await client.FlushAsync().WaitAsync(Deadline);

        failed.StatusCode.Should().Be(HttpStatusCode.InternalServerError, "the error page answered");
        errorPageId.Should().NotBeEmpty();
        failed.Headers.GetValues("Set-Cookie").Should().ContainSingle("one request, one anonymous id")
            .Which.Should().StartWith(Cookie + "=" + errorPageId + ";", "the error page runs in the session the request began");
        collector.Upserts.Should().ContainSingle().Which.Attributes.Should().ContainKey("city", "the push made before the failure is the visitor's")
            .And.ContainKey("plan");
    }

    [Fact]
    public async Task ResponseStartedBeforeTheMiddleware_TheRequestStillRuns_AndItsPushIsRecorded()
    {
        await using var collector = await RecordingCollector.StartAsync();
        await using var app = await StartAsync(collector.Endpoint, pipeline: app => app.Use(async (context, next) =>
        {
            // A preamble streamed before the rest of the pipeline runs (server-sent events, a progress page).
            await context.Response.WriteAsync("start;");
            await context.Response.Body.FlushAsync();
            await next(context);
        }));
        var client = app.Services.GetRequiredService<GrowlyticsClient>();
        using var http = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };

        var body = await http.GetStringAsync(new Uri("/stream", UriKind.Relative)).WaitAsync(Deadline);
        await client.FlushAsync().WaitAsync(Deadline);

        body.Should().Be("start;done");
        client.Statistics.Enqueued.Should().Be(1, "the endpoint ran and pushed");
        client.Statistics.Pending.Should().Be(1, "REST holds an anonymous push for a login");
    }

    [Fact]
    public async Task OptedOut_NewVisitor_GetsNoAnonymousIdCookie()
    {
        await using var collector = await RecordingCollector.StartAsync();
        await using var app = await StartAsync(collector.Endpoint, pipeline: null);
        var client = app.Services.GetRequiredService<GrowlyticsClient>();
        client.OptOut();
        using var http = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };

        using var response = await http.PostAsync(new Uri("/push", UriKind.Relative), content: null);

        response.EnsureSuccessStatusCode();
        response.Headers.Contains("Set-Cookie").Should().BeFalse("tracking is off: no tracking id is given to a new visitor");
        client.Statistics.Dropped.Should().Be(1, "the push is counted as dropped (OptedOut)");

        client.OptIn();
        using var after = await http.PostAsync(new Uri("/push", UriKind.Relative), content: null);
        after.Headers.GetValues("Set-Cookie").Should().ContainSingle("tracking is on again");
    }

    [Fact]
    public async Task NewVisitor_OverHttp_TheCookieIsHttpOnlyLaxForOneYearOnTheWholeSite_NotSecure_AndAReturningVisitorGetsNoneAgain()
    {
        await using var collector = await RecordingCollector.StartAsync();
        await using var app = await StartAsync(collector.Endpoint, pipeline: null);
        var jar = new CookieContainer();
        using var http = new HttpClient(new SocketsHttpHandler { CookieContainer = jar }) { BaseAddress = new Uri(app.Urls.First()) };

        using var first = await http.PostAsync(new Uri("/push", UriKind.Relative), content: null);
        var id = await first.Content.ReadAsStringAsync();
        using var again = await http.PostAsync(new Uri("/push", UriKind.Relative), content: null);

        var attributes = Attributes(first.Headers.GetValues("Set-Cookie").Should().ContainSingle().Subject, id);
        attributes.Should().Contain("httponly", "page scripts have no use for the id");
        attributes.Should().Contain("samesite=lax");
        attributes.Should().Contain("path=/", "every path of the site continues the session");
        attributes.Should().Contain("max-age=31536000", "the id is kept for one year");
        attributes.Should().NotContain("secure", "a plain http request: a browser would drop a Secure cookie set over it");
        (await again.Content.ReadAsStringAsync()).Should().Be(id, "the browser sent the id back");
        again.Headers.Contains("Set-Cookie").Should().BeFalse("the browser already has the id");
    }

    [Fact]
    public async Task NewVisitor_OverHttpsBehindAProxy_TheCookieIsSecure()
    {
        await using var collector = await RecordingCollector.StartAsync();
        await using var app = await StartAsync(collector.Endpoint, pipeline: app => app.UseForwardedHeaders(new ForwardedHeadersOptions
        {
            // A TLS-terminating proxy on this machine (a loopback proxy is trusted by default) says the request was https.
            ForwardedHeaders = ForwardedHeaders.XForwardedProto,
        }));
        using var http = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/push");
        request.Headers.Add("X-Forwarded-Proto", "https");

        using var response = await http.SendAsync(request);
        var id = await response.Content.ReadAsStringAsync();

        Attributes(response.Headers.GetValues("Set-Cookie").Should().ContainSingle().Subject, id)
            .Should().Contain("secure", "an https request: the id must not travel over plain http");
    }

    [Fact]
    public async Task CookieConsentPolicy_TheCookieWaitsForConsent()
    {
        await using var collector = await RecordingCollector.StartAsync();
        await using var app = await StartAsync(collector.Endpoint, pipeline: app => app.UseCookiePolicy(new CookiePolicyOptions
        {
            CheckConsentNeeded = _ => true,
        }));
        using var http = new HttpClient(new SocketsHttpHandler { UseCookies = false }) { BaseAddress = new Uri(app.Urls.First()) };

        using var withoutConsent = await http.PostAsync(new Uri("/push", UriKind.Relative), content: null);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/push");
        request.Headers.Add("Cookie", ".AspNet.Consent=yes");
        using var withConsent = await http.SendAsync(request);

        withoutConsent.EnsureSuccessStatusCode();
        withoutConsent.Headers.Contains("Set-Cookie").Should().BeFalse("the anonymous id is a tracking cookie, not an essential one");
        withConsent.Headers.GetValues("Set-Cookie").Should().ContainSingle().Which.Should().StartWith(Cookie + "=");
    }

    [Fact]
    public async Task OptedOut_ReturningVisitorsLogout_StillReplacesTheIdTheBrowserHas()
    {
        await using var collector = await RecordingCollector.StartAsync();
        await using var app = await StartAsync(collector.Endpoint, pipeline: null);
        var client = app.Services.GetRequiredService<GrowlyticsClient>();
        var jar = new CookieContainer();
        using var http = new HttpClient(new SocketsHttpHandler { CookieContainer = jar }) { BaseAddress = new Uri(app.Urls.First()) };
        using var first = await http.PostAsync(new Uri("/push", UriKind.Relative), content: null);
        var before = await first.Content.ReadAsStringAsync();
        client.OptOut();

        using var logout = await http.PostAsync(new Uri("/logout", UriKind.Relative), content: null);
        var after = await logout.Content.ReadAsStringAsync();

        after.Should().NotBe(before, "a logout in a request that continues a visitor starts a new anonymous id");
        jar.GetCookies(http.BaseAddress!)[Cookie]!.Value.Should().Be(after, "the next user of this browser does not continue the session that logged out");
    }

    // The cookie's attributes after its name and value, in lower case.
    private static string[] Attributes(string setCookie, string id)
    {
        setCookie.Should().StartWith(Cookie + "=" + id + ";");
        return setCookie.Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Skip(1)
            .Select(a => a.ToLowerInvariant())
            .ToArray();
    }

    private static async Task<WebApplication> StartAsync(Uri collector, Action<WebApplication>? pipeline)
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
        app.UseExceptionHandler("/error");
        pipeline?.Invoke(app);
        app.UseGrowlytics(o => o.AnonymousIdCookieName = Cookie);
        app.MapPost("/fail", IResult () =>
        {
            Growlytics.User.Push(new { city = "Pune" });
            throw new InvalidOperationException("the endpoint failed");
        });
        app.Map("/error", () => Growlytics.User.AnonymousId);
        app.MapPost("/push", () =>
        {
            Growlytics.User.Push(new { city = "Pune" });
            return Growlytics.User.AnonymousId;
        });
        app.MapPost("/logout", () =>
        {
            Growlytics.User.Logout();
            return Growlytics.User.AnonymousId;
        });
        app.MapPost("/login", () =>
        {
            Growlytics.User.Identify("alice", new { plan = "pro" });
            return Results.Ok();
        });
        app.MapGet("/stream", async (HttpContext context) =>
        {
            Growlytics.User.Push(new { city = "Pune" });
            await context.Response.WriteAsync("done");
        });
        await app.StartAsync();
        return app;
    }
}
