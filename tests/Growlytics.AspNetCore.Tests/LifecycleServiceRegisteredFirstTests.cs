using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace GrowlyticsSdk.AspNetCore.Tests;

/// <summary>
/// "On .NET 8+ hosts the client is the facade's before any hosted service starts and is shut down after every hosted
/// service has stopped, whatever the order of registration": also for a lifecycle service (<c>IHostedLifecycleService</c>)
/// registered before <c>AddGrowlytics</c>, whose <c>StartingAsync</c> uses the facade and whose <c>StoppedAsync</c> records
/// where the job got to.
/// </summary>
[Collection(WebAppCollection.Name)]
public sealed class LifecycleServiceRegisteredFirstTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task LifecycleServiceRegisteredFirst_UsesTheFacadeInStartingAsync_AndSendsInStoppedAsync_AllDelivered()
    {
        await using var collector = await RecordingCollector.StartAsync();
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddHostedService<LifecycleJob>();
        builder.Services.AddGrowlytics(o =>
        {
            o.ApiKey = RecordingCollector.ApiKey;
            o.Endpoint = collector.Endpoint;
        });
        GrowlyticsClient client;
        using (var host = builder.Build())
        {
            client = host.Services.GetRequiredService<GrowlyticsClient>();
            await host.StartAsync().WaitAsync(Deadline);
            await host.StopAsync().WaitAsync(Deadline);
        }

        collector.Upserts.Select(u => u.Id).Should().BeEquivalentTo(["job-starting", "job-stopping", "job-stopped"]);
        client.Statistics.Dropped.Should().Be(0);
    }

    private sealed class LifecycleJob(GrowlyticsClient client) : IHostedLifecycleService
    {
        public Task StartingAsync(CancellationToken cancellationToken)
        {
            Growlytics.Customers.Update("job-starting", new Dictionary<string, object?> { ["stage"] = "starting" });
            return Task.CompletedTask;
        }

        public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StoppingAsync(CancellationToken cancellationToken)
        {
            client.Customers.Update("job-stopping", new Dictionary<string, object?> { ["stage"] = "stopping" });
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StoppedAsync(CancellationToken cancellationToken)
        {
            client.Customers.Update("job-stopped", new Dictionary<string, object?> { ["stage"] = "stopped" });
            return Task.CompletedTask;
        }
    }
}
