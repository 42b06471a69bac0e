using GrowlyticsSdk.Diagnostics;
using Microsoft.Extensions.Hosting;

namespace GrowlyticsSdk.DependencyInjection;

/// <summary>
/// Ties the container's client to the host: it becomes the facade's client when the host starts, and is
/// flushed (within <see cref="GrowlyticsOptions.ShutdownTimeout"/>) and detached when the host stops.
/// </summary>
internal sealed class GrowlyticsHostedService : IHostedService
{
    private readonly GrowlyticsClient _client;

    public GrowlyticsHostedService(GrowlyticsClient client) => _client = client;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (!Growlytics.TryAttach(_client))
        {
            // Growlytics.Initialize (or another host) came first: the facade keeps its client, and the app would not see it otherwise.
            Log.FacadeHasAnotherClient(_client.Logger);
        }

        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
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
