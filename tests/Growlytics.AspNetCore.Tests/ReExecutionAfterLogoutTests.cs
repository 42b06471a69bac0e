using System.Net.Http.Json;
using System.Security.Claims;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace GrowlyticsSdk.AspNetCore.Tests;

/// <summary>
/// A request that starts identified from its principal's claim and calls <c>Logout</c> (or <c>Identify</c> of another
/// user) before it fails: the exception handler's re-execution continues the request's session, which no longer has that
/// user. It used to read the claim again and start identified as the user who had just logged out (under the anonymous id
/// the logout rotated to), so the error page's calls reached that user's profile.
/// </summary>
[Collection(WebAppCollection.Name)]
public sealed class ReExecutionAfterLogoutTests
{
    private const string Cookie = "gl_anon";

    [Fact]
    public async Task AuthenticatedRequest_LogoutThenFailure_TheErrorPageIsNotTheLoggedOutUser()
    {
        await using var collector = await RecordingCollector.StartAsync();
        await using var app = await StartAsync(collector.Endpoint);
        using var http = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };

        using var response = await http.PostAsync(new Uri("/logout", UriKind.Relative), content: null);

        var seen = await response.Content.ReadFromJsonAsync<SessionView>();
        seen!.UserId.Should().BeNull("the request logged alice out before it failed");
        response.Headers.GetValues("Set-Cookie").Should().ContainSingle()
            .Which.Should().StartWith(Cookie + "=" + seen.AnonymousId + ";");
    }

    [Fact]
    public async Task AuthenticatedRequest_IdentifyOfAnotherUserThenFailure_TheErrorPageIsTheNewUser()
    {
        await using var collector = await RecordingCollector.StartAsync();
        await using var app = await StartAsync(collector.Endpoint);
        using var http = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };

        using var response = await http.PostAsync(new Uri("/switch", UriKind.Relative), content: null);

        var seen = await response.Content.ReadFromJsonAsync<SessionView>();
        seen!.UserId.Should().Be("bob");
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
        app.UseExceptionHandler("/error");

        // Every request is alice's (an authentication cookie the test does not need to issue).
        app.Use((context, next) =>
        {
            context.User = new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.NameIdentifier, "alice")], "test"));
            return next(context);
        });
        app.UseGrowlytics(o => o.AnonymousIdCookieName = Cookie);
        app.MapPost("/logout", IResult () =>
        {
            Growlytics.User.Logout();
            throw new InvalidOperationException("the endpoint failed after the logout");
        });
        app.MapPost("/switch", IResult () =>
        {
            Growlytics.User.Identify("bob");
            throw new InvalidOperationException("the endpoint failed after the login");
        });
        app.Map("/error", () => Results.Ok(new SessionView(Growlytics.User.UserId, Growlytics.User.AnonymousId)));
        await app.StartAsync();
        return app;
    }
}
