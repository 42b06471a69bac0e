using static GrowlyticsSdk.IntegrationTests.TestSupport;

namespace GrowlyticsSdk.IntegrationTests.Storage;

/// <summary>With <c>StorageDirectory</c> the disk is the buffer: memory filling up makes the writer commit before its interval.</summary>
[Collection(EngineCollection.Name)]
public sealed class StorageIntakeTests
{
    [Fact]
    public async Task Push_WavesLargerThanAQuarterOfTheQueue_WrittenBeforeTheCommitIntervalNoneDroppedAllDelivered()
    {
        const int waves = 10;
        const int wave = 400;
        using var folder = new TempFolder();
        await using var collector = await FaultyCollector.StartAsync();
        var options = FastOptions(collector.Endpoint);
        options.StorageDirectory = folder.Sub("storage");
        options.MaxQueueSize = 1_000;

        // The writer's own interval (the longest allowed) is longer than a wave may take: only memory filling up wakes it.
        options.StorageCommitInterval = TimeSpan.FromSeconds(10);
        await using var client = new GrowlyticsClient(options);
        await EventuallyAsync(() => client.Durable!.IsBuffer, "the client owns its folder");

        // Each wave passes a quarter of MaxQueueSize (250); the next one comes once the writer has taken it to disk. Waiting
        // for the interval instead, the third wave would overflow the queue.
        for (var n = 0; n < waves; n++)
        {
            for (var i = 0; i < wave; i++)
            {
                client.User.Push(Number((n * wave) + i));
            }

            var clock = System.Diagnostics.Stopwatch.StartNew();
            while (client.Queue.Count > 0)
            {
                clock.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(5), $"wave {n} is written to disk long before the commit interval");
                await Task.Delay(5);
            }
        }

        await FlushAsync(client);

        client.Statistics.Dropped.Should().Be(0);
        collector.ShouldHaveDeliveredExactly(client, waves * wave);
    }
}
