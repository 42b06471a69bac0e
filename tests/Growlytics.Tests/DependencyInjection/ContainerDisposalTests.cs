using Microsoft.Extensions.DependencyInjection;

namespace GrowlyticsSdk.Tests.DependencyInjection;

/// <summary><c>AddGrowlytics</c> without a host: the container disposes the client, and the client delivers what it accepted.</summary>
public sealed class ContainerDisposalTests : IDisposable
{
    private readonly LoopbackListener _server = new();

    public void Dispose() => _server.Dispose();

    [Fact]
    public async Task DisposeAsync_OfAContainerWhoseClientSentNothingYet_DeliversWhatItAccepted()
    {
        var (provider, client) = ContainerWithOneUpdate();

        // The first request goes out while the container disposes the client: the factory can make no handler by then.
        await provider.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));

        var stats = client.Statistics;
        (stats.Enqueued, stats.Delivered, stats.Pending).Should().Be((1, 1, 0));
        stats.DroppedByReason.Values.Sum().Should().Be(0);
        _server.Requests.Should().ContainSingle();
    }

    [Fact]
    public async Task Dispose_OfAContainerWhoseClientSentNothingYet_DeliversWhatItAccepted()
    {
        var (provider, client) = ContainerWithOneUpdate();

        await Task.Run(provider.Dispose).WaitAsync(TimeSpan.FromSeconds(30));

        client.Statistics.Delivered.Should().Be(1);
        _server.Requests.Should().ContainSingle();
    }

    // A container whose client accepted one customer update and has sent nothing yet.
    private (ServiceProvider Provider, GrowlyticsClient Client) ContainerWithOneUpdate()
    {
        var services = new ServiceCollection();
        services.AddGrowlytics(Configure);
        var provider = services.BuildServiceProvider();
        var client = provider.GetRequiredService<GrowlyticsClient>();
        client.Customers.Update("customer-1", new Dictionary<string, object?> { ["plan"] = "pro" });
        return (provider, client);
    }

    private void Configure(GrowlyticsOptions options)
    {
        options.ApiKey = "container-test-key";
        options.Endpoint = _server.BaseUri;
        options.Protocol = GrowlyticsProtocol.Batch;
        options.FlushOnProcessExit = false;
    }
}
