using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using static GrowlyticsSdk.IntegrationTests.TestSupport;

namespace GrowlyticsSdk.IntegrationTests.Storage;

/// <summary>
/// A host whose stop budget is spent (<c>HostOptions.ShutdownTimeout</c> zero: the client's shutdown gets a token already
/// cancelled) stops while the storage writer is in a write and more updates wait in memory for it: they are written to
/// the folder within the shutdown's short grace, kept there, and the next start delivers them.
/// </summary>
[Collection(EngineCollection.Name)]
public sealed class HostStopWithNoTimeLeftTests
{
    [Fact]
    public async Task HostStop_WithAZeroShutdownTimeout_KeepsWhatMemoryHeldInTheFolder()
    {
        using var folder = new TempFolder();
        var directory = folder.Sub("storage");
        await using var collector = await FaultyCollector.StartAsync();
        collector.Script = _ => Fault.Http(503);
        var writing = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var holdNext = 1;
        GrowlyticsClient? client = null;

        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.Zero);
        builder.Services.AddGrowlytics(o =>
        {
            var fast = FastOptions(collector.Endpoint);
            o.ApiKey = fast.ApiKey;
            o.Protocol = fast.Protocol;
            o.Endpoint = fast.Endpoint;
            o.FlushInterval = fast.FlushInterval;
            o.RetryBaseDelay = fast.RetryBaseDelay;
            o.MaxRetryDelay = fast.MaxRetryDelay;
            o.StorageDirectory = directory;
            o.FlushOnProcessExit = false;

            // The writer is in a write (a flush to disk under load) when the host stops, and ends it 50 ms later (the rest of
            // the 250 ms grace is left for its last commit and flush on a busy disk).
            o.BeforeStorageAppend = () =>
            {
                if (Interlocked.Exchange(ref holdNext, 0) == 1)
                {
                    writing.TrySetResult();
                    SpinWait.SpinUntil(() => client?.IsShutDown == true, Deadline);
                    Thread.Sleep(50);
                }
            };
        });

        using (var host = builder.Build())
        {
            client = host.Services.GetRequiredService<GrowlyticsClient>();
            await host.StartAsync();
            await EventuallyAsync(() => client.Durable!.IsOwner, "the client holds the folder");
            client.Customers.Update("customer-0", Number(0));
            await writing.Task.WaitAsync(Deadline);
            for (var n = 1; n <= 50; n++)
            {
                client.Customers.Update("customer-" + n, Number(n));
            }

            await host.StopAsync().WaitAsync(Deadline);
        }

        var statistics = client.Statistics;
        statistics.Enqueued.Should().Be(51);
        statistics.Dropped.Should().Be(0, "what memory held went to the folder: {0}", string.Join(", ", statistics.DroppedByReason.Where(r => r.Value > 0)));
        statistics.Pending.Should().Be(51);

        // The next start delivers them.
        collector.Script = _ => Fault.None;
        var options = FastOptions(collector.Endpoint);
        options.StorageDirectory = directory;
        options.SessionMode = SessionMode.RequireScope;
        await using var next = new GrowlyticsClient(options);
        await EventuallyAsync(() => next.Statistics.Delivered == 51, "the next client delivered what the first kept in the folder");
        collector.Numbers.Values.Select(int.Parse).Should().BeEquivalentTo(Enumerable.Range(0, 51));
    }
}
