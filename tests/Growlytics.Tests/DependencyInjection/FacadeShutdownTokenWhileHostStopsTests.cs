using System.Net;
using GrowlyticsSdk.Tests.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace GrowlyticsSdk.Tests.DependencyInjection;

/// <summary>
/// <see cref="Growlytics.ShutdownAsync"/> on a host's client only flushes it: its token "ends the wait and delivery goes on".
/// Called while the host stops (the facade has already detached the host's client), its token must not end the host's
/// delivery attempt either.
/// </summary>
[Collection(ProcessStateCollection.Name)]
public sealed class FacadeShutdownTokenWhileHostStopsTests
{
    private static readonly TimeSpan RealBound = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task FacadeShutdownAsync_WithACancelledToken_WhileTheHostStops_DoesNotCutTheHostsDeliveryShort()
    {
        var answer = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var http = new HttpClient(new AnswerWhenReleased(answer.Task));
        var services = new ServiceCollection();
        services.AddGrowlytics(o =>
        {
            o.ApiKey = "key";
            o.Endpoint = new Uri("http://127.0.0.1:9/");
            o.Protocol = GrowlyticsProtocol.Batch;
            o.HttpClient = http;
            o.ShutdownTimeout = TimeSpan.FromSeconds(10);
        });
        await using var provider = services.BuildServiceProvider();
        var client = provider.GetRequiredService<GrowlyticsClient>();
        var hosted = provider.GetServices<IHostedService>().Single();
        await hosted.StartAsync(CancellationToken.None);
        Growlytics.Customers.Update("customer-1", new Dictionary<string, object?> { ["plan"] = "pro" });

        // The host stops: its shutdown delivers what is queued, within ShutdownTimeout (10 s).
        var hostStop = hosted.StopAsync(CancellationToken.None);

        // App code that awaits the facade's shutdown with a short wait of its own.
        using var wait = new CancellationTokenSource();
        var facade = Growlytics.ShutdownAsync(wait.Token);
        wait.Cancel();
        await facade.WaitAsync(RealBound);

        answer.SetResult(true);
        await hostStop.WaitAsync(RealBound);
        var statistics = client.Statistics;
        (statistics.Delivered, statistics.Dropped).Should().Be((1, 0), "the facade's token ends its own wait only; the host owns its client's shutdown");
    }

    private sealed class AnswerWhenReleased(Task released) : HttpMessageHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            await released.WaitAsync(cancellationToken);
            return new HttpResponseMessage(HttpStatusCode.OK);
        }
    }
}
