using System.Net;
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
/// Hundreds of browsers at once on real Kestrel, with both protocols: each browses anonymously, logs in, pushes in
/// several requests (some from work the request starts, one from work that outlives its request), logs out and browses
/// again. No message carries another user's data, each user's messages arrive in call order, and the counts balance.
/// </summary>
[Collection(WebAppCollection.Name)]
public sealed class ConcurrentRequestsOrderTests
{
    private const int Browsers = 200;
    private const int Steps = 4;
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    [Theory]
    [InlineData(GrowlyticsProtocol.Batch)]
    [InlineData(GrowlyticsProtocol.Rest)]
    public async Task ManyBrowsersAtOnce_EachUsersMessagesAreTheirsAndInCallOrder(GrowlyticsProtocol protocol)
    {
        await using var collector = await RecordingCollector.StartAsync();
        var app = await StartAsync(collector.Endpoint, protocol);
        var client = app.Services.GetRequiredService<GrowlyticsClient>();
        var address = new Uri(app.Urls.First());
        try
        {
            await Task.WhenAll(Enumerable.Range(0, Browsers).Select(i => RunBrowserAsync(address, $"user-{i:D3}"))).WaitAsync(Deadline);
        }
        finally
        {
            // The host's stop flushes what the requests and their background work recorded.
            await app.StopAsync().WaitAsync(Deadline);
            await app.DisposeAsync();
        }

        var statistics = client.Statistics;
        if (protocol == GrowlyticsProtocol.Batch)
        {
            // Per browser: an anonymous update, the login, Steps updates, the late update, the logout, an anonymous update.
            var messages = collector.Messages.ToArray();
            messages.Should().HaveCount(Browsers * (Steps + 5));
            messages.Select(m => m.MessageId).Should().OnlyHaveUniqueItems();
            foreach (var group in messages.Where(m => m.UserId is not null).GroupBy(m => m.UserId))
            {
                var user = group.Key!;
                var types = group.Select(m => m.Type).ToArray();
                types.Should().Equal(["login", .. Enumerable.Repeat("update", Steps + 1), "logout"], $"{user}'s messages arrive in call order");
                group.Where(m => m.Type != "logout").Should().OnlyContain(m => m.Attributes["who"] == user, "no message carries another user's data");
                group.Where(m => m.Type == "update").Select(m => int.Parse(m.Attributes["step"], System.Globalization.CultureInfo.InvariantCulture))
                    .Should().Equal(Enumerable.Range(0, Steps + 1), $"{user}'s updates arrive in call order");
                group.Select(m => m.AnonymousId).Distinct().Should().ContainSingle();
            }

            messages.Where(m => m.UserId is null).Should().HaveCount(2 * Browsers)
                .And.OnlyContain(m => m.Attributes["who"] == "anonymous");
            (statistics.Enqueued, statistics.Delivered, statistics.Dropped, statistics.Pending).Should().Be((Browsers * (Steps + 5), Browsers * (Steps + 5), 0, 0));
        }
        else
        {
            var upserts = collector.Upserts.ToArray();
            upserts.Should().HaveCount(Browsers * (Steps + 2), "the login (with the anonymous push), Steps pushes and the late push");
            foreach (var group in upserts.GroupBy(u => u.Id))
            {
                var user = group.Key;
                var list = group.ToArray();
                list[0].Attributes.Should().ContainKey("plan", $"{user}'s login comes first").And.ContainKey("city");
                list[0].Attributes["city"].Should().Be($"\"{user}-city\"", "the anonymous push carried to the login is this browser's");
                list.Should().OnlyContain(u => u.Attributes["who"] == $"\"{user}\"" || u.Attributes["who"] == "\"anonymous\"", "no upsert carries another user's data");
                list.Skip(1).Select(u => int.Parse(u.Attributes["step"], System.Globalization.CultureInfo.InvariantCulture))
                    .Should().Equal(Enumerable.Range(0, Steps + 1), $"{user}'s pushes arrive in call order");
            }

            // The anonymous push after each logout never met a login: dropped at shutdown.
            (statistics.Enqueued, statistics.Delivered, statistics.Pending).Should().Be((Browsers * (Steps + 4), Browsers * (Steps + 3), 0));
            statistics.Dropped.Should().Be(Browsers);
        }
    }

    private static async Task RunBrowserAsync(Uri address, string user)
    {
        using var browser = new HttpClient(new SocketsHttpHandler { CookieContainer = new CookieContainer() }) { BaseAddress = address };
        (await browser.PostAsync($"/browse?city={user}-city", null)).EnsureSuccessStatusCode();
        (await browser.PostAsync($"/login?user={user}", null)).EnsureSuccessStatusCode();
        for (var step = 0; step < Steps; step++)
        {
            (await browser.PostAsync($"/push?who={user}&step={step}", null)).EnsureSuccessStatusCode();
        }

        // Work the request starts and that outlives it: it records as the request's user, after the response.
        (await browser.PostAsync($"/late?who={user}&step={Steps}", null)).EnsureSuccessStatusCode();
        (await browser.PostAsync("/wait-late", null)).EnsureSuccessStatusCode();
        (await browser.PostAsync("/logout", null)).EnsureSuccessStatusCode();
        (await browser.PostAsync("/browse?city=after", null)).EnsureSuccessStatusCode();
    }

    private static async Task<WebApplication> StartAsync(Uri collector, GrowlyticsProtocol protocol)
    {
        var builder = WebApplication.CreateBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Services.AddGrowlytics(o =>
        {
            o.ApiKey = RecordingCollector.ApiKey;
            o.Endpoint = collector;
            o.Protocol = protocol;
            o.FlushInterval = TimeSpan.FromMilliseconds(20);
        });
        builder.Services.AddAuthentication(CookieAuthenticationDefaults.AuthenticationScheme).AddCookie();
        var late = new System.Collections.Concurrent.ConcurrentDictionary<string, Task>();

        var app = builder.Build();
        app.UseAuthentication();
        app.UseGrowlytics(o => o.AnonymousIdCookieName = "gl_anon");
        app.MapPost("/browse", (string city) => Growlytics.User.Push(new { city, who = "anonymous" }));
        app.MapPost("/login", async (HttpContext context, string user) =>
        {
            await context.SignInAsync(new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.NameIdentifier, user)], CookieAuthenticationDefaults.AuthenticationScheme)));
            await Task.Yield();
            Growlytics.User.Identify(user, new { plan = "pro", who = user });
        });
        app.MapPost("/push", async (string who, int step) =>
        {
            await Task.Yield();
            await Task.Run(() => Growlytics.User.Push(new { who, step }));
        });
        app.MapPost("/late", (HttpContext context, string who, int step) =>
        {
            var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            late[who] = Task.Run(async () =>
            {
                await gate.Task;
                await Task.Delay(1);
                Growlytics.User.Push(new { who, step });
            });
            // Released once the request has ended (its scope disposed).
            context.Response.OnCompleted(() =>
            {
                gate.TrySetResult();
                return Task.CompletedTask;
            });
        });
        app.MapPost("/wait-late", (HttpContext context) => late[context.User.FindFirstValue(ClaimTypes.NameIdentifier)!]);
        app.MapPost("/logout", async (HttpContext context) =>
        {
            Growlytics.User.Logout();
            await context.SignOutAsync();
        });
        await app.StartAsync();
        return app;
    }
}
