using static GrowlyticsSdk.IntegrationTests.TestSupport;

namespace GrowlyticsSdk.IntegrationTests.Storage;

/// <summary>With <c>StorageDirectory</c> the disk is the buffer: memory filling up makes the writer commit before its interval.</summary>
[Collection(EngineCollection.Name)]
public sealed class StorageIntakeTests
{
    [Fact]
    public async Task Push_WavesThatWouldOverflowTheQueueBeforeTheCommitInterval_WrittenAsMemoryFillsNoneDroppedAllDelivered()
    {
        const int waves = 10;
        const int wave = 300;
        using var folder = new TempFolder();
        await using var collector = await FaultyCollector.StartAsync();
        var options = FastOptions(collector.Endpoint);
        options.StorageDirectory = folder.Sub("storage");
        options.MaxQueueSize = 1_000;

        // The writer's own interval (the longest allowed) is longer than the whole test: only memory filling up wakes it.
        options.StorageCommitInterval = TimeSpan.FromSeconds(10);
        await using var client = new GrowlyticsClient(options);
        await EventuallyAsync(() => client.Durable!.IsBuffer, "the client owns its folder");

        // 3,000 messages in about a second: waiting for the interval, the fourth wave would overflow MaxQueueSize. Each wave
        // takes memory past a quarter of it (250), which wakes the writer.
        for (var n = 0; n < waves; n++)
        {
            for (var i = 0; i < wave; i++)
            {
                client.User.Push(Number((n * wave) + i));
            }

            await Task.Delay(100);
        }

        await FlushAsync(client);

        client.Statistics.DroppedByReason.Where(r => r.Value > 0).Should().BeEmpty();
        collector.ShouldHaveDeliveredExactly(client, waves * wave);
    }
}
