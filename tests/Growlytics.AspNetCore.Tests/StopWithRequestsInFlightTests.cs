using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace GrowlyticsSdk.AspNetCore.Tests;

/// <summary>
/// The host stops while requests still run: the server lets them finish, and what they record after the stop began is
/// delivered by the flush that ends the stop, with both protocols.
/// </summary>
[Collection(WebAppCollection.Name)]
public sealed class StopWithRequestsInFlightTests
{
    private const int Requests = 100;
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    [Theory]
    [InlineData(GrowlyticsProtocol.Batch)]
    [InlineData(GrowlyticsProtocol.Rest)]
    public async Task RequestsInFlightWhenTheHostStops_TheirUpdatesAreDelivered(GrowlyticsProtocol protocol)
    {
        await using var collector = await RecordingCollector.StartAsync();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var entered = 0;
        var allIn = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var builder = WebApplication.CreateBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Services.AddGrowlytics(o =>
        {
            o.ApiKey = RecordingCollector.ApiKey;
            o.Endpoint = collector.Endpoint;
            o.Protocol = protocol;
            o.FlushInterval = TimeSpan.FromMinutes(5);
        });
        var app = builder.Build();
        app.UseGrowlytics();
        app.MapPost("/slow", async (string user) =>
        {
            if (Interlocked.Increment(ref entered) == Requests)
            {
                allIn.TrySetResult();
            }

            await gate.Task;
            Growlytics.User.Identify(user, new { plan = "pro" });
            await Task.Yield();
            Growlytics.User.Push(new { step = 1 });
        });
        await app.StartAsync();
        var client = app.Services.GetRequiredService<GrowlyticsClient>();
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = Requests }) { BaseAddress = new Uri(app.Urls.First()) };

        var requests = Enumerable.Range(0, Requests).Select(i => http.PostAsync($"/slow?user=user-{i}", null)).ToArray();
        await allIn.Task.WaitAsync(Deadline);
        var stop = app.StopAsync();
        await Task.Delay(50);
        gate.SetResult();
        var responses = await Task.WhenAll(requests).WaitAsync(Deadline);
        await stop.WaitAsync(Deadline);
        await app.DisposeAsync();

        responses.Should().OnlyContain(r => r.StatusCode == HttpStatusCode.OK);
        var statistics = client.Statistics;
        (statistics.Enqueued, statistics.Delivered, statistics.Dropped).Should().Be((2 * Requests, 2 * Requests, 0));
    }
}
