using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;

namespace GrowlyticsSdk.Tests.DependencyInjection;

/// <summary>
/// The <c>IHttpClientFactory</c> client that <c>AddGrowlytics</c> uses: no timeout of its own (the SDK times each attempt,
/// up to <see cref="GrowlyticsOptions.RequestTimeout"/>'s 10 minutes), and none kept once the client has shut down (the
/// factory tracks the handlers of clients still referenced, and would keep the container alive for good).
/// </summary>
public sealed class FactoryClientTests : IDisposable
{
    private readonly LoopbackListener _server = new();

    public void Dispose() => _server.Dispose();

    [Fact]
    public void NamedClient_HasNoTimeoutOfItsOwn_UnlessTheAppSetsOne()
    {
        using var provider = Provider(services => services.AddGrowlytics(Configure));
        provider.GetRequiredService<IHttpClientFactory>().CreateClient(GrowlyticsClient.HttpClientName).Timeout
            .Should().Be(Timeout.InfiniteTimeSpan, "a RequestTimeout above the factory's default of 100 s must not be cut short");

        using var configured = Provider(services => services.AddGrowlytics(Configure).ConfigureHttpClient(http => http.Timeout = TimeSpan.FromSeconds(30)));
        configured.GetRequiredService<IHttpClientFactory>().CreateClient(GrowlyticsClient.HttpClientName).Timeout
            .Should().Be(TimeSpan.FromSeconds(30), "the app's own setting comes after the SDK's");
    }

    [Fact]
    public async Task ShutDownClient_KeepsNoHttpClientOfTheFactory()
    {
        var made = new ConcurrentQueue<WeakReference>();
        var provider = Provider(services =>
        {
            services.AddGrowlytics(Configure);
            services.AddSingleton<IHttpClientFactory>(sp => new RecordingFactory(sp.GetRequiredService<IHttpMessageHandlerFactory>(), made));
        });
        var client = provider.GetRequiredService<GrowlyticsClient>();
        client.Customers.Update("customer-1", new Dictionary<string, object?> { ["plan"] = "pro" });
        await client.FlushAsync().WaitAsync(TimeSpan.FromSeconds(30));
        await provider.DisposeAsync();

        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();

        client.Statistics.Delivered.Should().Be(1);
        made.Should().NotBeEmpty();
        made.Count(r => r.IsAlive).Should().Be(0, "the client, still referenced here, holds none of the factory's clients once it has shut down");
        GC.KeepAlive(client);
    }

    private static ServiceProvider Provider(Action<IServiceCollection> register)
    {
        var services = new ServiceCollection();
        register(services);
        return services.BuildServiceProvider();
    }

    private void Configure(GrowlyticsOptions options)
    {
        options.ApiKey = "factory-test-key";
        options.Endpoint = _server.BaseUri;
        options.Protocol = GrowlyticsProtocol.Batch;
        options.FlushOnProcessExit = false;
    }

    private sealed class RecordingFactory(IHttpMessageHandlerFactory handlers, ConcurrentQueue<WeakReference> made) : IHttpClientFactory
    {
        public HttpClient CreateClient(string name)
        {
            var client = new HttpClient(handlers.CreateHandler(name), disposeHandler: false);
            made.Enqueue(new WeakReference(client));
            return client;
        }
    }
}
