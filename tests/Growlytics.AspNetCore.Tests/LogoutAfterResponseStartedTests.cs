using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace GrowlyticsSdk.AspNetCore.Tests;

/// <summary>
/// A logout in a request whose response has already started (a streamed response, a flushed body) rotates the session's
/// anonymous id, but the cookie can no longer be written: the browser keeps the id that was just logged out. The log says
/// so once, and names neither id. So too when another middleware started the response before <c>UseGrowlytics</c> ran.
/// </summary>
[Collection(WebAppCollection.Name)]
public sealed class LogoutAfterResponseStartedTests
{
    private const string CookieName = "gl_anon";

    [Fact]
    public async Task LogoutAfterTheResponseStarted_TheCookieKeepsTheOldId_AndTheLogSaysSoOnce()
    {
        await using var collector = await RecordingCollector.StartAsync();
        var logs = new LogSink();
        await using var app = await StartAsync(collector.Endpoint, logs);
        var jar = new CookieContainer();
        using var http = new HttpClient(new SocketsHttpHandler { CookieContainer = jar }) { BaseAddress = new Uri(app.Urls.First()) };

        var first = await http.GetStringAsync("/id");
        var streamed = await http.GetStringAsync("/stream-logout");
        await http.GetStringAsync("/stream-logout");

        streamed.Should().NotBe(first, "the logout rotated the session's id");
        jar.GetCookies(http.BaseAddress!)[CookieName]!.Value.Should().Be(first, "the response had started: the rotated id could not be written");
        var warnings = logs.Entries.Where(e => e.EventId == 1014).ToArray();
        warnings.Should().ContainSingle().Which.Level.Should().Be(LogLevel.Warning);
        warnings[0].Message.Should().Contain(CookieName).And.NotContain(first).And.NotContain(streamed);
    }

    [Fact]
    public async Task LogoutBeforeTheResponseStarted_RotatesTheCookie_AndLogsNothing()
    {
        await using var collector = await RecordingCollector.StartAsync();
        var logs = new LogSink();
        await using var app = await StartAsync(collector.Endpoint, logs);
        var jar = new CookieContainer();
        using var http = new HttpClient(new SocketsHttpHandler { CookieContainer = jar }) { BaseAddress = new Uri(app.Urls.First()) };

        var first = await http.GetStringAsync("/id");
        var rotated = await http.GetStringAsync("/logout");

        rotated.Should().NotBe(first);
        jar.GetCookies(http.BaseAddress!)[CookieName]!.Value.Should().Be(rotated);
        logs.Entries.Should().NotContain(e => e.EventId == 1014);
    }

    [Fact]
    public async Task ResponseStartedBeforeTheMiddleware_ReturningVisitorLogsOut_TheLogSaysTheCookieKeepsTheOldId()
    {
        await using var collector = await RecordingCollector.StartAsync();
        var logs = new LogSink();
        await using var app = await StartAsync(collector.Endpoint, logs);
        var jar = new CookieContainer();
        using var http = new HttpClient(new SocketsHttpHandler { CookieContainer = jar }) { BaseAddress = new Uri(app.Urls.First()) };

        var first = await http.GetStringAsync("/id");
        var body = await http.GetStringAsync("/preamble/logout");

        body.Should().StartWith("start;").And.NotEndWith(first, "the logout rotated the session's id");
        jar.GetCookies(http.BaseAddress!)[CookieName]!.Value.Should().Be(first, "no cookie can be written once the response has started");
        logs.Entries.Where(e => e.EventId == 1014).Should().ContainSingle("the browser keeps the id that was logged out");
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

        // A preamble streamed before UseGrowlytics runs (server-sent events, a progress page).
        app.UseWhen(context => context.Request.Path.StartsWithSegments("/preamble"), preamble => preamble.Use(async (context, next) =>
        {
            await context.Response.WriteAsync("start;");
            await context.Response.Body.FlushAsync();
            await next(context);
        }));
        app.UseGrowlytics(o => o.AnonymousIdCookieName = CookieName);
        app.MapGet("/id", () => Growlytics.User.AnonymousId);
        app.MapGet("/logout", () =>
        {
            Growlytics.User.Logout();
            return Growlytics.User.AnonymousId;
        });
        app.MapGet("/preamble/logout", async (HttpContext context) =>
        {
            Growlytics.User.Logout();
            await context.Response.WriteAsync(Growlytics.User.AnonymousId);
        });
        app.MapGet("/stream-logout", async (HttpContext context) =>
        {
            await context.Response.WriteAsync(string.Empty);
            await context.Response.Body.FlushAsync();
            Growlytics.User.Logout();
            await context.Response.WriteAsync(Growlytics.User.AnonymousId);
        });
        await app.StartAsync();
        return app;
    }

    private sealed record LogEntry(LogLevel Level, int EventId, string Message);

    private sealed class LogSink : ILoggerProvider
    {
        public ConcurrentQueue<LogEntry> Entries { get; } = new();

        public ILogger CreateLogger(string categoryName) => new Logger(this);

        public void Dispose()
        {
        }

        private sealed class Logger(LogSink sink) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                sink.Entries.Enqueue(new LogEntry(logLevel, eventId.Id, formatter(state, exception)));
        }
    }
}
