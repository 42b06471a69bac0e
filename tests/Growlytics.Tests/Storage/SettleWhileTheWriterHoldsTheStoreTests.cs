using GrowlyticsSdk.Tests.TestSupport;

namespace GrowlyticsSdk.Tests.Storage;

/// <summary>
/// A stored message is delivered while the storage writer holds the store (a slow write to disk): it is counted delivered
/// at once, and leaves pending at once, so the figures balance while its record waits to be settled in the store.
/// </summary>
public sealed class SettleWhileTheWriterHoldsTheStoreTests : StorageTestBase
{
    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(200);

    [Fact]
    public async Task Statistics_StoredMessageDeliveredWhileTheWriterHoldsTheStore_BalanceThroughout()
    {
        using var writerInside = new ManualResetEventSlim();
        using var releaseWriter = new ManualResetEventSlim();
        var answer = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var collector = new StorageCollector { Up = true, BeforeAnswer = () => answer.Task };
        var holdWrites = 0;
        await using var client = NewClient(collector, o => o.StorageWriteFault = () =>
        {
            if (Volatile.Read(ref holdWrites) == 1)
            {
                // Inside the store's lock, as a write that waits for a slow disk.
                writerInside.Set();
                releaseWriter.Wait(TimeSpan.FromSeconds(30));
            }

            return null;
        });
        Task? driving = null;
        try
        {
            // The first message is written, read back and sent; its answer waits.
            PushNumbers(client, 0, 1);
            await DriveUntilAsync(() => collector.Messages.Count == 1, Step);

            // The next write holds the store. The clock is moved on another thread: the writer may run on it.
            Volatile.Write(ref holdWrites, 1);
            PushNumbers(client, 1, 1);
            driving = Task.Run(() => DriveUntilAsync(() => writerInside.IsSet, Step));
            writerInside.Wait(TimeSpan.FromSeconds(30)).Should().BeTrue();

            // The first message is delivered: counted so while its record waits for the store.
            answer.SetResult();
            await DeliveryHarness.WaitUntilAsync(() => client.Statistics.Delivered == 1);
            await Task.Delay(50);

            var statistics = client.Statistics;
            (statistics.Enqueued, statistics.Delivered, statistics.Dropped, statistics.Pending).Should().Be((2, 1, 0, 1), "the second message is the only one pending");
        }
        finally
        {
            releaseWriter.Set();
            if (driving is not null)
            {
                await driving;
            }
        }

        await DriveUntilAsync(() => client.Statistics is { Pending: 0, Delivered: 2 }, Step);
        ShouldBeBalanced(client.Statistics);
        collector.Numbers.Should().BeEquivalentTo([0L, 1L]);
    }
}
