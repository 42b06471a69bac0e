using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace GrowlyticsSdk.AspNetCore.Tests;

/// <summary>
/// A worker registered before <c>AddGrowlytics</c> (the worker template's order) sends while it stops: the host's client
/// is attached before any hosted service starts and shut down after all of them stopped.
/// </summary>
[Collection(WebAppCollection.Name)]
public sealed class HostStopOrderTests
{
    [Fact]
    public async Task WorkerRegisteredFirst_UpdatesSentWhileItStops_AreDelivered_ThroughTheClientAndTheFacade()
    {
        await using var collector = await RecordingCollector.StartAsync();
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddHostedService<Worker>();
        builder.Services.AddGrowlytics(o =>
        {
            o.ApiKey = RecordingCollector.ApiKey;
            o.Endpoint = collector.Endpoint;
        });
        GrowlyticsClient client;
        using (var host = builder.Build())
        {
            client = host.Services.GetRequiredService<GrowlyticsClient>();
            await host.StartAsync();
            var worker = host.Services.GetServices<IHostedService>().OfType<Worker>().Single();
            (await worker.Started.Task.WaitAsync(TimeSpan.FromSeconds(20))).Should().BeTrue("the facade has the host's client when the worker starts");
            await host.StopAsync();
        }

        collector.Upserts.Select(u => u.Id).Should().BeEquivalentTo(["job-client", "job-facade"]);
        client.Statistics.Dropped.Should().Be(0);
    }

    private sealed class Worker(GrowlyticsClient client) : BackgroundService
    {
        public TaskCompletionSource<bool> Started { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        protected override async Task ExecuteAsync(CancellationToken stoppingToken)
        {
            Started.TrySetResult(Growlytics.IsInitialized && ReferenceEquals(Growlytics.Client, client));
            try
            {
                await Task.Delay(Timeout.Infinite, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                // Stopping: the job records where it got to.
            }

            client.Customers.Update("job-client", new Dictionary<string, object?> { ["stage"] = "stopped" });
            Growlytics.Customers.Update("job-facade", new Dictionary<string, object?> { ["stage"] = "stopped" });
        }
    }
}
