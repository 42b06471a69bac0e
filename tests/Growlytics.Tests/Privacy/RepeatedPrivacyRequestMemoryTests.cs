using GrowlyticsSdk.Tests.TestSupport;
using Microsoft.Extensions.Logging.Abstractions;

namespace GrowlyticsSdk.Tests.Privacy;

/// <summary>
/// What a long-lived client keeps after many privacy requests (each cancels the requests in flight), measured as retained
/// managed memory: alone in its collection, so no other test allocates meanwhile.
/// </summary>
[Collection(ProcessStateCollection.Name)]
public sealed class RepeatedPrivacyRequestMemoryTests
{
    private const int Requests = 20_000;

    [Fact]
    public async Task DeleteLocalDataAsync_ManyTimesOnOneClient_KeepsNothingPerCall()
    {
        // No recording logger: each deletion logs a line, which that logger would keep.
        await using var harness = new DeliveryHarness(o => o.LoggerFactory = NullLoggerFactory.Instance);
        using var longLived = new CancellationTokenSource();
        for (var i = 0; i < 100; i++)
        {
            await harness.Client.DeleteLocalDataAsync(longLived.Token);
        }

        var before = GC.GetTotalMemory(forceFullCollection: true);
        for (var i = 0; i < Requests; i++)
        {
            await harness.Client.DeleteLocalDataAsync(longLived.Token);
        }

        var retained = GC.GetTotalMemory(forceFullCollection: true) - before;

        // Each deletion cancelled the requests' scope and the next turn made a new one, linked to the client's stop: the
        // cancelled one stayed registered there until shutdown, about 144 bytes a deletion (2.9 MB for 20,000).
        retained.Should().BeLessThan(Requests * 16L, "a deletion that has completed leaves nothing behind");
        GC.KeepAlive(harness);
    }
}
