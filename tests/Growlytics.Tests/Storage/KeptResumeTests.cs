namespace GrowlyticsSdk.Tests.Storage;

/// <summary>
/// With storage, messages whose retries ran out are kept and their partitions pause. Their messages were due when they
/// were kept: when the pause ends they go at once, in a partly filled request if need be, not after another flush
/// interval (with a long one, a kept message waited for it after every pause).
/// </summary>
public sealed class KeptResumeTests : StorageTestBase
{
    [Fact]
    public async Task KeptMessage_WhenItsPauseEnds_GoesWithoutWaitingForTheFlushInterval()
    {
        var collector = new StorageCollector { Up = false };
        var client = NewClient(collector, o => o.FlushInterval = TimeSpan.FromHours(1));
        try
        {
            // Sent by a flush during an outage: out of retries (none), kept, its partition paused for MaxRetryDelay.
            PushNumbers(client, 0, 1);
            var flush = client.FlushAsync();
            await DriveUntilAsync(() => flush.IsCompleted, TimeSpan.FromMilliseconds(100));
            collector.Attempts.Should().Be(1);
            var keptAt = Time.GetUtcNow();
            collector.Up = true;

            // No flush now: only the end of the pause sends it.
            var until = keptAt + TimeSpan.FromMinutes(2);
            while (client.Statistics.Delivered == 0 && Time.GetUtcNow() < until)
            {
                Time.Advance(TimeSpan.FromSeconds(1));
                await Task.Delay(5);
            }

            client.Statistics.Delivered.Should().Be(1, "the pause ended, and the message was due");
            (Time.GetUtcNow() - keptAt).Should().BeLessThan(new GrowlyticsOptions().MaxRetryDelay + TimeSpan.FromSeconds(15));
            ShouldBeBalanced(client.Statistics);
        }
        finally
        {
            var shutdown = client.ShutdownAsync();
            await DriveUntilAsync(() => shutdown.IsCompleted, TimeSpan.FromSeconds(1));
            await client.DisposeAsync();
        }
    }
}
