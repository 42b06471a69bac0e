using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace GrowlyticsSdk.AspNetCore.Tests;

/// <summary>
/// The anonymous-id cookie at the edges of a request: a request re-executed by an exception handler writes one cookie,
/// carrying the id its pushes went under; a response that started before the middleware ran does not fail the request;
/// and while the client is opted out a new visitor gets no tracking cookie.
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
