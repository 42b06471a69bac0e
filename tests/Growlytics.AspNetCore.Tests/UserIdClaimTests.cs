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
/// absent) starts anonymous, and the log says so once, naming the claim type and never the id.
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

    private static async Task<SessionView> MeAsync(HttpClient http, string? claim)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/me");
        request.Headers.Add("X-Test-Authenticated", "yes");
        if (claim is not null)
        {
            request.Headers.Add("X-Test-User", claim);
        }

        using var response = await http.SendAsync(request);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<SessionView>())!;
    }

    private static async Task<WebApplication> StartAsync(Uri collector, LogSink logs)
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

        // Stands in for authentication: an authenticated principal with the user id claim from a header, if any.
        app.Use((context, next) =>
        {
            if (context.Request.Headers.ContainsKey("X-Test-Authenticated"))
            {
                var claims = context.Request.Headers.TryGetValue("X-Test-User", out var user) ? new[] { new Claim(ClaimTypes.NameIdentifier, user.ToString()) } : [];
                context.User = new ClaimsPrincipal(new ClaimsIdentity(claims, "Test"));
            }

            return next(context);
        });
        app.UseGrowlytics();
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
