using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Security.Claims;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace GrowlyticsSdk.AspNetCore.Tests;

/// <summary>
/// An authenticated request whose user id claim the SDK cannot use (too long, as an Entra ID "sub" of 43 characters, or
/// absent) starts anonymous, and the log says so once, naming the claim type and never the id. The id comes from the
/// configured claim type, of an authenticated principal only, and only while <c>UseAuthenticatedUser</c> is on.
/// </summary>
[Collection(WebAppCollection.Name)]
public sealed class UserIdClaimTests
{
    private const string LongSubject = "AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ"; // 43 characters, as Entra ID gives "sub"

    [Fact]
    public async Task AuthenticatedRequests_WithAClaimTheSdkRefuses_StartAnonymous_AndTheLogSaysSoOnce()
    {
        await using var collector = await RecordingCollector.StartAsync();
        var logs = new LogSink();
        await using var app = await StartAsync(collector.Endpoint, logs);
        using var http = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };

        (await MeAsync(http, LongSubject)).UserId.Should().BeNull("a 43-character id is refused by the user id rule");
        (await MeAsync(http, LongSubject + "B")).UserId.Should().BeNull();
        (await MeAsync(http, "alice")).UserId.Should().Be("alice");
        (await MeAsync(http, claim: null)).UserId.Should().BeNull();
        (await MeAsync(http, claim: null)).UserId.Should().BeNull();

        var warnings = logs.Entries.Where(e => e.Level == LogLevel.Warning).ToArray();
        warnings.Where(e => e.EventId == 1012).Should().ContainSingle().Which.Message.Should().Contain(ClaimTypes.NameIdentifier).And.Contain("40 characters");
        warnings.Where(e => e.EventId == 1013).Should().ContainSingle().Which.Message.Should().Contain(ClaimTypes.NameIdentifier);
        logs.Entries.Should().NotContain(e => e.Message.Contains(LongSubject, StringComparison.Ordinal) || e.Message.Contains("alice", StringComparison.Ordinal), "ids are never logged");
    }

    [Fact]
    public async Task UnauthenticatedRequests_StartAnonymous_WhateverClaimsTheyCarry_AndLogNothing()
    {
        await using var collector = await RecordingCollector.StartAsync();
        var logs = new LogSink();
        await using var app = await StartAsync(collector.Endpoint, logs);
        using var http = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };

        (await MeAsync(http, "alice", authenticated: false)).UserId.Should().BeNull("a principal that is not authenticated is nobody's");
        (await MeAsync(http, claim: null, authenticated: false)).UserId.Should().BeNull();
        (await http.GetFromJsonAsync<SessionView>("/me"))!.UserId.Should().BeNull("no authentication ran: the server's empty principal");

        logs.Entries.Should().NotContain(e => e.EventId == 1012 || e.EventId == 1013, "an anonymous visitor is no misconfigured claim");
    }

    [Fact]
    public async Task AuthenticatedRequests_TheIdComesFromAnAuthenticatedIdentity_NotFromAnotherIdentityOfThePrincipal()
    {
        await using var collector = await RecordingCollector.StartAsync();
        var logs = new LogSink();
        await using var app = await StartAsync(collector.Endpoint, logs);
        using var http = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };

        // The authenticated identity has no id claim; a second identity that nobody authenticated (an app's own, a device's)
        // carries one: it is not the signed-in user's.
        (await MeAsync(http, claim: null, otherIdentityClaim: "mallory")).UserId.Should().BeNull("only an authenticated identity names the user");
        (await MeAsync(http, "alice", otherIdentityClaim: "mallory")).UserId.Should().Be("alice");
        (await MeAsync(http, claim: null, otherIdentityClaim: "bob", otherAuthenticated: true)).UserId.Should().Be("bob", "a second scheme's authenticated identity names the user too");

        logs.Entries.Where(e => e.EventId == 1013).Should().ContainSingle("the authenticated request had no id claim of its own");
        logs.Entries.Should().NotContain(e => e.Message.Contains("mallory", StringComparison.Ordinal), "ids are never logged");
    }

    [Fact]
    public async Task UseAuthenticatedUserOff_AnAuthenticatedRequestStartsAnonymous()
    {
        await using var collector = await RecordingCollector.StartAsync();
        var logs = new LogSink();
        await using var app = await StartAsync(collector.Endpoint, logs, o => o.UseAuthenticatedUser = false);
        using var http = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };

        (await MeAsync(http, "alice")).UserId.Should().BeNull("the app identifies its users itself");
        (await MeAsync(http, claim: null)).UserId.Should().BeNull();

        logs.Entries.Should().NotContain(e => e.EventId == 1012 || e.EventId == 1013, "the claim is not read");
    }

    [Fact]
    public async Task UserIdClaimType_TheConfiguredClaimIsTheUserId()
    {
        await using var collector = await RecordingCollector.StartAsync();
        var logs = new LogSink();
        await using var app = await StartAsync(collector.Endpoint, logs, o => o.UserIdClaimType = "sub");
        using var http = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };

        (await MeAsync(http, "bob", claimType: "sub")).UserId.Should().Be("bob");
        (await MeAsync(http, "alice")).UserId.Should().BeNull("a NameIdentifier claim is not the configured one");

        logs.Entries.Where(e => e.EventId == 1013).Should().ContainSingle().Which.Message.Should().Contain("sub").And.NotContain(ClaimTypes.NameIdentifier);
    }

    private static async Task<SessionView> MeAsync(HttpClient http, string? claim, bool authenticated = true, string? claimType = null, string? otherIdentityClaim = null, bool otherAuthenticated = false)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/me");
        if (otherIdentityClaim is not null)
        {
            request.Headers.Add("X-Test-Other-User", otherIdentityClaim);
            if (otherAuthenticated)
            {
                request.Headers.Add("X-Test-Other-Authenticated", "yes");
            }
        }

        if (authenticated)
        {
            request.Headers.Add("X-Test-Authenticated", "yes");
        }

        if (claim is not null)
        {
            request.Headers.Add("X-Test-User", claim);
        }

        if (claimType is not null)
        {
            request.Headers.Add("X-Test-Claim-Type", claimType);
        }

        using var response = await http.SendAsync(request);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<SessionView>())!;
    }

    private static async Task<WebApplication> StartAsync(Uri collector, LogSink logs, Action<GrowlyticsMiddlewareOptions>? configure = null)
    {
        var builder = WebApplication.CreateBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(logs);
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Services.AddGrowlytics(o =>
        {
            o.ApiKey = RecordingCollector.ApiKey;
            o.Endpoint = collector;
        });

        var app = builder.Build();

        // Stands in for authentication: a principal with the user id claim from a header, if any (of the claim type from
        // another, NameIdentifier by default), authenticated if the request says so.
        app.Use((context, next) =>
        {
            var headers = context.Request.Headers;
            if (headers.ContainsKey("X-Test-Authenticated") || headers.ContainsKey("X-Test-User"))
            {
                var type = headers.TryGetValue("X-Test-Claim-Type", out var claimType) ? claimType.ToString() : ClaimTypes.NameIdentifier;
                var claims = headers.TryGetValue("X-Test-User", out var user) ? new[] { new Claim(type, user.ToString()) } : [];
                var authenticationType = headers.ContainsKey("X-Test-Authenticated") ? "Test" : null;
                context.User = new ClaimsPrincipal(new ClaimsIdentity(claims, authenticationType));
                if (headers.TryGetValue("X-Test-Other-User", out var other))
                {
                    // A second identity (a second scheme's, or one the app adds), authenticated if the request says so.
                    var otherType = headers.ContainsKey("X-Test-Other-Authenticated") ? "Other" : null;
                    context.User.AddIdentity(new ClaimsIdentity([new Claim(ClaimTypes.NameIdentifier, other.ToString())], otherType));
                }
            }

            return next(context);
        });
        if (configure is null)
        {
            app.UseGrowlytics();
        }
        else
        {
            app.UseGrowlytics(configure);
        }
        app.MapGet("/me", () => Results.Ok(new SessionView(Growlytics.User.UserId, Growlytics.User.AnonymousId)));
        await app.StartAsync();
        return app;
    }

    private sealed record LogEntry(string Category, LogLevel Level, int EventId, string Message);

    private sealed class LogSink : ILoggerProvider
    {
        public ConcurrentQueue<LogEntry> Entries { get; } = new();

        public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

        public void Dispose()
        {
        }

        private sealed class Logger(LogSink sink, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                sink.Entries.Enqueue(new LogEntry(category, logLevel, eventId.Id, formatter(state, exception)));
        }
    }
}
