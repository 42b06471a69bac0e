using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace GrowlyticsSdk.AspNetCore.Tests;

/// <summary>
/// Callbacks a request registers on its response (<c>Response.OnStarting</c>, <c>Response.OnCompleted</c>: the usual
/// place to record something once the answer is out) are the request's work: the server runs them after the pipeline has
/// returned, outside the middleware's async flow, and there <c>Growlytics.User</c> must still be the request's user,
/// with both session modes (the process-wide session is shared by every request).
/// </summary>
[Collection(WebAppCollection.Name)]
public sealed class ResponseCallbacksScopeTests
{
    private const int Users = 50;
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);

    [Theory]
    [InlineData(SessionMode.RequireScope)]
    [InlineData(SessionMode.ProcessWide)]
    public async Task OnStartingAndOnCompleted_RunAfterThePipeline_RecordAsTheRequestsUser(SessionMode mode)
    {
        await using var collector = await RecordingCollector.StartAsync();
        var failures = new ConcurrentQueue<string>();
        var completed = new CountdownEvent(Users);
        var builder = WebApplication.CreateBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Services.AddGrowlytics(o =>
        {
            o.ApiKey = RecordingCollector.ApiKey;
            o.Endpoint = collector.Endpoint;
            o.Protocol = GrowlyticsProtocol.Batch;
            o.FlushInterval = TimeSpan.FromMilliseconds(20);
            o.SessionMode = mode;
        });
        var app = builder.Build();
        app.UseGrowlytics(o => o.AnonymousIdCookieName = "gl_anon");
        app.MapPost("/order", (HttpContext context, string user) =>
        {
            Growlytics.User.Identify(user);

            // No body: the server starts the response once the pipeline has returned, then completes it.
            context.Response.OnStarting(() => Record(failures, user, "starting"));
            context.Response.OnCompleted(() =>
            {
                var recorded = Record(failures, user, "completed");
                completed.Signal();
                return recorded;
            });
            return Results.NoContent();
        });
        await app.StartAsync();
        var client = app.Services.GetRequiredService<GrowlyticsClient>();
        try
        {
            using var http = new HttpClient(new SocketsHttpHandler { UseCookies = false }) { BaseAddress = new Uri(app.Urls.First()) };
            var responses = await Task.WhenAll(Enumerable.Range(0, Users).Select(i => http.PostAsync(new Uri($"/order?user=user-{i:D2}", UriKind.Relative), content: null))).WaitAsync(Deadline);
            responses.Should().OnlyContain(r => r.IsSuccessStatusCode);
            completed.Wait(Deadline).Should().BeTrue("every request completed");
            await client.FlushAsync().WaitAsync(Deadline);
        }
        finally
        {
            await app.StopAsync().WaitAsync(Deadline);
            await app.DisposeAsync();
        }

        failures.Should().BeEmpty("a callback of the request runs in the request's scope");
        var updates = collector.Messages.Where(m => m.Type == "update").ToArray();
        updates.Should().HaveCount(2 * Users, "each request's two callbacks recorded an update");
        updates.Should().OnlyContain(m => m.UserId == m.Attributes["who"], "each callback's update went to its own request's user");
        updates.GroupBy(m => m.UserId).Should().HaveCount(Users).And.OnlyContain(g => g.Count() == 2);
    }

    private static Task Record(ConcurrentQueue<string> failures, string user, string where)
    {
        try
        {
            Growlytics.User.Push(new Dictionary<string, object?> { ["who"] = user, ["where"] = where });
        }
        catch (InvalidOperationException e)
        {
            failures.Enqueue($"{where}: {e.Message}");
        }

        return Task.CompletedTask;
    }
}
