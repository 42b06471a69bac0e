using GrowlyticsSdk.Diagnostics;
using Microsoft.Extensions.Hosting;

namespace GrowlyticsSdk.DependencyInjection;

/// <summary>
/// Ties the container's client to the host: it becomes the facade's client when the host starts, and is flushed (within
/// <see cref="GrowlyticsOptions.ShutdownTimeout"/>) and detached when the host stops. A host that runs lifecycle
/// services (Microsoft.Extensions.Hosting 8 and later) attaches it before any hosted service starts and shuts it down
/// after every hosted service has stopped, whatever the order of registration: a worker registered before
/// <c>AddGrowlytics</c> (as the worker template has it) still sends while it stops. An older host calls only
/// <see cref="StartAsync"/> and <see cref="StopAsync"/>, which then do both.
/// </summary>
internal sealed class GrowlyticsHostedService : IHostedLifecycleService
{
    private readonly GrowlyticsClient _client;

    // Set once the host calls a lifecycle method (StartingAsync comes before every StartAsync).
    private volatile bool _lifecycle;

    public GrowlyticsHostedService(GrowlyticsClient client) => _client = client;

    public Task StartingAsync(CancellationToken cancellationToken)
    {
        _lifecycle = true;
        Attach();
        return Task.CompletedTask;
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (!_lifecycle)
        {
            Attach();
        }

        return Task.CompletedTask;
    }

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => _lifecycle ? Task.CompletedTask : ShutdownAsync(cancellationToken);

    public Task StoppedAsync(CancellationToken cancellationToken) => ShutdownAsync(cancellationToken);

    private void Attach()
    {
        if (!Growlytics.TryAttach(_client))
        {
            // Growlytics.Initialize (or another host) came first: the facade keeps its client, and the app would not see it otherwise.
            Log.FacadeHasAnotherClient(_client.Logger);
        }
    }

    private async Task ShutdownAsync(CancellationToken cancellationToken)
    {
        try
        {
            await _client.ShutdownAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Growlytics.Detach(_client);
        }
    }
}
