using GrowlyticsSdk.Storage;

namespace GrowlyticsSdk.Tests.Storage;

/// <summary>
/// An outage in which the disk was full long enough for memory to fill with what it could not store: once the disk has
/// room again (the outage going on), it is found to work without a message to write (calls are refused while memory is
/// full, so none comes), memory's messages go to the folder, and calls reach the disk again instead of being dropped
/// <see cref="DropReason.QueueFull"/> for the rest of the outage.
/// </summary>
public sealed class DiskBackWithMemoryFullTests : StorageTestBase
{
    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(100);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task DiskBackDuringAnOutage_MemoryFullOfWhatItCouldNotStore_LaterCallsAreStoredNotDroppedAndAllDelivered(bool oneUser)
    {
        var collector = new StorageCollector { Up = false };
        var diskFull = 1;
        var client = NewClient(collector, o =>
        {
            o.MaxQueueSize = 200;
            o.CircuitBreakDuration = TimeSpan.FromSeconds(2);
            o.MaxRetryDelay = TimeSpan.FromSeconds(1);
            o.StorageWriteFault = () => Volatile.Read(ref diskFull) == 1 ? new IOException("No space left on device", 28) : null;
        });
        try
        {
            // The disk full: memory takes 200 (its bound), the rest is dropped for room, as documented.
            for (var round = 0; round < 10; round++)
            {
                Push(client, oneUser, round * 50, 50);
                Time.Advance(Step);
                await Task.Delay(5);
            }

            var droppedWhileFull = client.Statistics.DroppedByReason[DropReason.QueueFull];
            droppedWhileFull.Should().Be(300);

            // The disk has room again; the service is still down. The writer tries the disk again within its interval.
            Volatile.Write(ref diskFull, 0);
            var back = Time.GetUtcNow();
            await DriveUntilAsync(() => Time.GetUtcNow() - back >= DurableQueue.DiskRetryInterval + TimeSpan.FromSeconds(2), Step);

            for (var round = 10; round < 30; round++)
            {
                Push(client, oneUser, round * 50, 50);
                await WrittenAsync(client);
            }

            client.Statistics.DroppedByReason[DropReason.QueueFull].Should().Be(droppedWhileFull, "the disk has room again: calls are stored, not dropped for lack of memory");
            ShouldBeBalanced(client.Statistics);

            collector.Up = true;
            await DriveUntilAsync(() => client.Statistics.Pending == 0, Step);
            var statistics = client.Statistics;
            statistics.Delivered.Should().Be(1_200);
            statistics.Dropped.Should().Be(300);
            ShouldBeBalanced(statistics);
            collector.Messages.Select(m => m.MessageId).Should().OnlyHaveUniqueItems();
            if (oneUser)
            {
                collector.Messages.Select(m => m.N).Should().BeInAscendingOrder("one user's messages arrive in call order");
            }
        }
        finally
        {
            await ShutDownDrivingAsync(client, Step);
        }
    }

    private static void Push(GrowlyticsClient client, bool oneUser, int from, int count)
    {
        if (oneUser)
        {
            PushNumbers(client, from, count);
        }
        else
        {
            UpdateCustomerNumbers(client, from, count);
        }
    }
}
