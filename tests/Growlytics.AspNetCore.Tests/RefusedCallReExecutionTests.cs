using System.Net.Http.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace GrowlyticsSdk.AspNetCore.Tests;

/// <summary>
/// A call refused with an exception, turned into an error page by the exception handler's re-execution of the pipeline:
/// the re-executed run continues the request's session, and the response carries one cookie, with the id both runs used.
/// Each run opened a session with an id of its own and wrote a cookie for it: two <c>Set-Cookie</c> headers with
/// different ids, the browser kept the first run's, and what the error page recorded (held for the login, with REST)
/// went under an id no later request carried.
/// </summary>
[Collection(WebAppCollection.Name)]
public sealed class RefusedCallReExecutionTests
{
    private const string Cookie = "gl_anon";

    [Fact]
    public async Task RefusedPush_ReExecutedByTheExceptionHandler_NewVisitorGetsOneCookie()
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
        app.UseGrowlytics(o => o.AnonymousIdCookieName = Cookie);
        app.MapPost("/push", IResult () =>
        {
            Growlytics.User.Push(new { city = "Pune" });
            Growlytics.User.Push(new { email = "not-an-email" });
            return Results.Ok();
        });
        app.Map("/error", () =>
        {
            Growlytics.User.Push(new { lastError = "profile" });
            return Results.Ok(Growlytics.User.AnonymousId);
        });
        app.MapPost("/login", () =>
        {
            Growlytics.User.Identify("alice", new { plan = "pro" });
            return Results.Ok();
        });
        await app.StartAsync();
        using var http = new HttpClient(new HttpClientHandler { UseCookies = true }) { BaseAddress = new Uri(app.Urls.First()) };

        using var response = await http.PostAsync(new Uri("/push", UriKind.Relative), content: null);
        var errorPageId = await response.Content.ReadFromJsonAsync<string>();
        var cookies = response.Headers.GetValues("Set-Cookie").ToList();
        (await http.PostAsync(new Uri("/login", UriKind.Relative), content: null)).EnsureSuccessStatusCode();
        await app.Services.GetRequiredService<GrowlyticsClient>().FlushAsync();

        cookies.Should().ContainSingle("one response, one anonymous id")
            .Which.Should().StartWith(Cookie + "=" + errorPageId + ";");
        collector.Upserts.Should().ContainSingle().Which.Attributes.Should().ContainKeys("city", "lastError", "plan");
    }
}
