using GrowlyticsSdk.Tests.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace GrowlyticsSdk.Tests.DependencyInjection;

/// <summary><c>Growlytics.Initialize</c> and <c>AddGrowlytics</c> in one app: the facade keeps the first client, and says so.</summary>
[Collection(ProcessStateCollection.Name)]
public sealed class FacadeAlreadyInitializedTests
{
    [Fact]
    public async Task HostStart_WithTheFacadeInitializedFirst_WarnsThatTheFacadeKeepsThatClient()
    {
        var events = new List<EventId>();
        await using var provider = Container(events);
        var first = Growlytics.Initialize("initialize-key", o =>
        {
            o.Endpoint = new Uri("http://127.0.0.1:9/");
            o.FlushOnProcessExit = false;
        });
        try
        {
            var hosted = provider.GetServices<IHostedService>().Single();
            await hosted.StartAsync(CancellationToken.None);
            Growlytics.Client.Should().BeSameAs(first, "the facade keeps the client Initialize gave it");
            await hosted.StopAsync(CancellationToken.None);
            Growlytics.Client.Should().BeSameAs(first, "stopping the host's client leaves the facade's alone");
        }
        finally
        {
            await Growlytics.ShutdownAsync();
        }

        lock (events)
        {
            events.Should().ContainSingle(e => e.Id == 1011);
        }
    }

    [Fact]
    public async Task HostStart_WithNoFacadeClient_AttachesWithoutTheWarning()
    {
        var events = new List<EventId>();
        await using var provider = Container(events);

        var hosted = provider.GetServices<IHostedService>().Single();
        await hosted.StartAsync(CancellationToken.None);
        Growlytics.Client.Should().BeSameAs(provider.GetRequiredService<GrowlyticsClient>());
        await hosted.StopAsync(CancellationToken.None);

        lock (events)
        {
            events.Should().NotContain(e => e.Id == 1011);
        }
    }

    [Fact]
    public async Task Initialize_WhileAHostsClientIsTheFacades_ThrowsSayingToConfigureAddGrowlytics()
    {
        await using var provider = Container([]);
        var hosted = provider.GetServices<IHostedService>().Single();
        await hosted.StartAsync(CancellationToken.None);
        try
        {
            var act = () => Growlytics.Initialize("initialize-key", o => o.Endpoint = new Uri("http://127.0.0.1:9/"));

            // Not "call Growlytics.ShutdownAsync() first": that would shut the host's client down under it.
            act.Should().Throw<InvalidOperationException>()
                .Which.Message.Should().Contain("AddGrowlytics").And.NotContain("ShutdownAsync");
            Growlytics.Client.Should().BeSameAs(provider.GetRequiredService<GrowlyticsClient>());
        }
        finally
        {
            await hosted.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task FacadeShutdown_WhileAHostsClientIsTheFacades_FlushesIt_TheHostsClientKeepsWorking()
    {
        await using var provider = Container([]);
        var client = provider.GetRequiredService<GrowlyticsClient>();
        var hosted = provider.GetServices<IHostedService>().Single();
        await hosted.StartAsync(CancellationToken.None);
        try
        {
            await Growlytics.ShutdownAsync();

            Growlytics.Client.Should().BeSameAs(client, "the host owns its client");
            Growlytics.Customers.Update("customer-1", new Dictionary<string, object?> { ["plan"] = "pro" });
            var statistics = client.Statistics;
            statistics.Enqueued.Should().Be(1);
            statistics.Dropped.Should().Be(0);
        }
        finally
        {
            // Cancelled: the service at port 9 never answers, so the stop ends its delivery attempt at once.
            await hosted.StopAsync(new CancellationToken(canceled: true));
        }

        client.Statistics.DroppedByReason.Should().ContainKey(DropReason.Shutdown, "the host's stop shuts it down");
    }

    [Fact]
    public async Task FacadeShutdown_WhileAHostsClientIsTheFacades_WithItsTokenCancelled_EndsTheWaitWithoutThrowing()
    {
        await using var provider = Container([]);
        var client = provider.GetRequiredService<GrowlyticsClient>();
        var hosted = provider.GetServices<IHostedService>().Single();
        await hosted.StartAsync(CancellationToken.None);
        try
        {
            // The service at port 9 never answers: the flush that stands in for the shutdown waits until the token ends it.
            Growlytics.Customers.Update("customer-1", new Dictionary<string, object?> { ["plan"] = "pro" });
            using var endWait = new CancellationTokenSource();
            var waiting = Growlytics.ShutdownAsync(endWait.Token);
            endWait.Cancel();
            var cancelledWhileWaiting = async () => await waiting;
            var cancelledBefore = async () => await Growlytics.ShutdownAsync(new CancellationToken(canceled: true));

            // As the shutdown of a client the facade owns: the token ends the attempt early, it does not fail the call.
            await cancelledWhileWaiting.Should().NotThrowAsync();
            await cancelledBefore.Should().NotThrowAsync();
            Growlytics.Client.Should().BeSameAs(client, "the host owns its client");
        }
        finally
        {
            await hosted.StopAsync(new CancellationToken(canceled: true));
        }
    }

    [Fact]
    public async Task FacadeCalls_WhileTheHostStops_AreCountedShutdown_NotThrown()
    {
        await using var provider = Container([]);
        var client = provider.GetRequiredService<GrowlyticsClient>();
        var hosted = provider.GetServices<IHostedService>().Single();
        await hosted.StartAsync(CancellationToken.None);

        // Port 9 never answers: the stop's delivery attempt for this update keeps the shutdown running.
        Growlytics.Customers.Update("customer-1", new Dictionary<string, object?> { ["plan"] = "pro" });
        using var endStop = new CancellationTokenSource();
        var stop = hosted.StopAsync(endStop.Token);
        stop.IsCompleted.Should().BeFalse();

        // Code still running while a host stops (a request's Task.Run, a hosted service) is not failed.
        Growlytics.IsInitialized.Should().BeFalse("the client accepts nothing more");
        Growlytics.Customers.Update("customer-2", new Dictionary<string, object?> { ["plan"] = "pro" });
        using (Growlytics.BeginScope())
        {
            Growlytics.User.Push(new Dictionary<string, object?> { ["plan"] = "pro" });
        }

        endStop.Cancel();
        await stop;
        var statistics = client.Statistics;
        statistics.Enqueued.Should().Be(3);
        statistics.DroppedByReason.GetValueOrDefault(DropReason.Shutdown).Should().Be(3);

        var later = () => Growlytics.Customers;
        later.Should().Throw<InvalidOperationException>().WithMessage("*AddGrowlytics*has shut down*host stopped*");
    }

    private static ServiceProvider Container(List<EventId> events)
    {
        var services = new ServiceCollection();
        services.AddLogging(b => b.AddProvider(new EventRecorder(events)));
        services.AddGrowlytics(o =>
        {
            o.ApiKey = "container-key";
            o.Endpoint = new Uri("http://127.0.0.1:9/");
        });
        return services.BuildServiceProvider();
    }

    private sealed class EventRecorder(List<EventId> events) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new Logger(events);

        public void Dispose()
        {
        }

        private sealed class Logger(List<EventId> events) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                lock (events)
                {
                    events.Add(eventId);
                }
            }
        }
    }
}
