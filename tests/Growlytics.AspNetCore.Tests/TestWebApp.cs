using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace GrowlyticsSdk.AspNetCore.Tests;

/// <summary>A small web app on real Kestrel that uses the facade from minimal APIs and a controller.</summary>
public sealed class TestWebApp : IAsyncDisposable
{
    private TestWebApp(WebApplication app, Uri address)
    {
        App = app;
        Address = address;
    }

    public WebApplication App { get; }

    public Uri Address { get; }

    public static async Task<TestWebApp> StartAsync(Uri collector, Action<GrowlyticsOptions>? configure = null)
    {
        var builder = WebApplication.CreateBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Services.AddGrowlytics(o =>
        {
            o.ApiKey = "test-key";
            o.Protocol = GrowlyticsProtocol.Batch;
            o.Endpoint = collector;
            o.FlushInterval = TimeSpan.FromMilliseconds(50);
            configure?.Invoke(o);
        });
        builder.Services.AddAuthentication(CookieAuthenticationDefaults.AuthenticationScheme).AddCookie(o =>
        {
            o.Events.OnRedirectToLogin = context =>
            {
                context.Response.StatusCode = 401;
                return Task.CompletedTask;
            };
        });
        builder.Services.AddAuthorization();
        builder.Services.AddControllers().AddApplicationPart(typeof(TestWebApp).Assembly);

        var app = builder.Build();
        app.UseAuthentication();
        app.UseGrowlytics(o => o.AnonymousIdCookieName = "gl_anon");
        app.UseAuthorization();

        app.MapPost("/login", async (HttpContext context, string user) =>
        {
            var identity = new ClaimsIdentity([new Claim(ClaimTypes.NameIdentifier, user)], CookieAuthenticationDefaults.AuthenticationScheme);
            await context.SignInAsync(new ClaimsPrincipal(identity));
            Growlytics.User.Identify(user, new Dictionary<string, object?> { ["who"] = user, ["plan"] = "pro" });
            return Results.Ok(Growlytics.User.AnonymousId);
        });
        app.MapPost("/profile", async (string who, int step) =>
        {
            // Hop threads, then record from work the request started.
            await Task.Yield();
            await Task.Run(() => Growlytics.User.Push(new Dictionary<string, object?> { ["who"] = who, ["step"] = step }));
            return Results.Ok();
        }).RequireAuthorization();
        app.MapPost("/logout", async (HttpContext context, string who) =>
        {
            await Task.Delay(1);
            Growlytics.User.Logout();
            await context.SignOutAsync();
            return Results.Ok();
        }).RequireAuthorization();
        app.MapGet("/me", () => Results.Ok(new SessionView(Growlytics.User.UserId, Growlytics.User.AnonymousId)));
        app.MapControllers();

        await app.StartAsync();
        return new TestWebApp(app, new Uri(app.Urls.First()));
    }

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
    }
}

public sealed record SessionView(string? UserId, string AnonymousId);

[ApiController]
[Route("controller")]
public sealed class ProfileController : ControllerBase
{
    [HttpPost("profile")]
    public async Task<IActionResult> UpdateAsync(string who, int step)
    {
        await Task.Delay(1);
        Growlytics.User.Push(new Dictionary<string, object?> { ["who"] = who, ["step"] = step, ["via"] = "controller" });
        return Ok();
    }
}
