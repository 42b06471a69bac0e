using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace GrowlyticsSdk.AspNetCore.Tests;

/// <summary>
/// A web app on real Kestrel with the SDK on its default protocol (REST): the middleware's anonymous-id cookie
/// (<c>gl_anon</c>) and cookie authentication. <c>/browse</c> pushes while anonymous, <c>/login</c> signs in and calls
/// <c>Identify</c>, <c>/signin</c> only signs in (the next request starts identified), <c>/identify</c> and <c>/logout</c> call
/// <c>Identify</c> and <c>Logout</c> without authentication, <c>/me</c> does nothing but run
/// through the middleware.
/// </summary>
public sealed class RestTestWebApp : IAsyncDisposable
{
    public const string AnonymousCookie = "gl_anon";

    private RestTestWebApp(WebApplication app, Uri address)
    {
        App = app;
        Address = address;
    }

    public WebApplication App { get; }

    public Uri Address { get; }

    public GrowlyticsClient Client => (GrowlyticsClient)App.Services.GetService(typeof(GrowlyticsClient))!;

    public static async Task<RestTestWebApp> StartAsync(Uri collector, Action<GrowlyticsOptions>? configure = null)
    {
        var builder = WebApplication.CreateBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Services.AddGrowlytics(o =>
        {
            // Only where and which key: the protocol, flush interval and retention are the defaults.
            o.ApiKey = RecordingCollector.ApiKey;
            o.Endpoint = collector;
            configure?.Invoke(o);
        });
        builder.Services.AddAuthentication(CookieAuthenticationDefaults.AuthenticationScheme).AddCookie();

        var app = builder.Build();
        app.UseAuthentication();
        app.UseGrowlytics(o => o.AnonymousIdCookieName = AnonymousCookie);

        app.MapPost("/browse", (GrowlyticsClient client, string city) =>
        {
            client.User.Push(new Dictionary<string, object?> { ["city"] = city });
            return Results.Ok(new RestSessionView(client.User.UserId, client.User.AnonymousId));
        });
        app.MapPost("/login", async (HttpContext context, GrowlyticsClient client, string user) =>
        {
            await SignInAsync(context, user);
            client.User.Identify(user, new Dictionary<string, object?> { ["plan"] = "pro" });
            return Results.Ok(new RestSessionView(client.User.UserId, client.User.AnonymousId));
        });
        app.MapPost("/signin", async (HttpContext context, GrowlyticsClient client, string user) =>
        {
            await SignInAsync(context, user);
            return Results.Ok(new RestSessionView(client.User.UserId, client.User.AnonymousId));
        });
        // The README's pattern without authentication: Identify in the login request, Logout in a later one.
        app.MapPost("/identify", (GrowlyticsClient client, string user) =>
        {
            client.User.Identify(user, new Dictionary<string, object?> { ["plan"] = "pro" });
            return Results.Ok(new RestSessionView(client.User.UserId, client.User.AnonymousId));
        });
        app.MapPost("/logout", (GrowlyticsClient client) =>
        {
            client.User.Logout();
            return Results.Ok(new RestSessionView(client.User.UserId, client.User.AnonymousId));
        });
        app.MapGet("/me", (GrowlyticsClient client) => Results.Ok(new RestSessionView(client.User.UserId, client.User.AnonymousId)));

        await app.StartAsync();
        return new RestTestWebApp(app, new Uri(app.Urls.First()));
    }

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
    }

    private static Task SignInAsync(HttpContext context, string user) =>
        context.SignInAsync(new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.NameIdentifier, user)], CookieAuthenticationDefaults.AuthenticationScheme)));
}

public sealed record RestSessionView(string? UserId, string AnonymousId);

public sealed record RestUpsert(string Id, IReadOnlyDictionary<string, string> Attributes);
