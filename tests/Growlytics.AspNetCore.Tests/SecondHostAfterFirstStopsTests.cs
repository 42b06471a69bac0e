using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace GrowlyticsSdk.AspNetCore.Tests;

/// <summary>
/// Two hosts in one process (tests build many): the first to start gives the facade its client, the second is told
/// (event 1011). Once the first stops, the second still runs: its hosted work's facade calls go to its client, not into
/// an <see cref="InvalidOperationException"/> saying the host stopped.
/// </summary>
[Collection(WebAppCollection.Name)]
public sealed class SecondHostAfterFirstStopsTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task FirstHostStops_WhileASecondRuns_TheFacadeUsesTheSecondHostsClient()
    {
        await using var collector = await RecordingCollector.StartAsync();
        using var first = BuildHost(collector);
        using var second = BuildHost(collector);
        var secondClient = second.Services.GetRequiredService<GrowlyticsClient>();
        await first.StartAsync().WaitAsync(Deadline);
        await second.StartAsync().WaitAsync(Deadline);

        await first.StopAsync().WaitAsync(Deadline);
        var facade = () => Growlytics.Customers.Update("after-first-stopped", new Dictionary<string, object?> { ["plan"] = "pro" });

        facade.Should().NotThrow("the second host still runs");
        Growlytics.Client.Should().BeSameAs(secondClient);
        await second.StopAsync().WaitAsync(Deadline);
        (secondClient.Statistics.Delivered, secondClient.Statistics.Dropped).Should().Be((1, 0));
        collector.Upserts.Select(u => u.Id).Should().Equal("after-first-stopped");
        var stopped = () => Growlytics.Client;
        stopped.Should().Throw<InvalidOperationException>().WithMessage("*host stopped*");
    }

    private static IHost BuildHost(RecordingCollector collector)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddGrowlytics(o =>
        {
            o.ApiKey = RecordingCollector.ApiKey;
            o.Endpoint = collector.Endpoint;
        });
        return builder.Build();
    }
}
