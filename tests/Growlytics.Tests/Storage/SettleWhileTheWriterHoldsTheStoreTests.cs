using System.Diagnostics;

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
        var collector = new StorageCollector { Up = true, BeforeAnswer = () => Volatile.Read(ref answer).Task };
        var holdWrites = 0;
        await using var client = NewClient(collector, o => o.StorageWriteFault = () =>
        {
            if (Interlocked.Exchange(ref holdWrites, 0) == 1)
            {
                // Inside the store's lock, as a write that waits for a slow disk.
                writerInside.Set();
                releaseWriter.Wait(TimeSpan.FromSeconds(30));
            }

            return null;
        });

        // The case needs the loop waiting when the write begins: if it was reading the disk then, it waits for the write
        // before it hears the answer, and the case is tried again (up to fifteen times: five were all missed once in a CI
        // run, on the netstandard2.0 build). An answer the loop hears comes within milliseconds; a second is a miss.
        var seen = false;
        var tries = 0;
        while (!seen && tries < 15)
        {
            var n = 2 * tries++;
            Volatile.Write(ref answer, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
            writerInside.Reset();
            releaseWriter.Reset();

            // A message is written, read back and sent; its answer waits.
            PushNumbers(client, n, 1);
            await DriveUntilAsync(() => collector.Messages.Count == n + 1, Step);

            // The next write holds the store. The clock is moved on another thread: the writer may run on it.
            Volatile.Write(ref holdWrites, 1);
            PushNumbers(client, n + 1, 1);
            var driving = Task.Run(() => DriveUntilAsync(() => writerInside.IsSet, Step));
            try
            {
                writerInside.Wait(TimeSpan.FromSeconds(30)).Should().BeTrue();

                // The message is delivered: counted so while its record waits for the store.
                Volatile.Read(ref answer).SetResult();
                seen = await WithinAsync(() => client.Statistics.Delivered == n + 1, TimeSpan.FromSeconds(1));
                if (seen)
                {
                    await Task.Delay(50);
                    var statistics = client.Statistics;
                    (statistics.Enqueued, statistics.Delivered, statistics.Dropped, statistics.Pending).Should().Be((n + 2, n + 1, 0, 1), "the message being written is the only one pending");
                }
            }
            finally
            {
                releaseWriter.Set();
                await driving;
            }

            await DriveUntilAsync(() => client.Statistics is { Pending: 0 } s && s.Delivered == n + 2, Step);
            ShouldBeBalanced(client.Statistics);
        }

        seen.Should().BeTrue("the answer was heard while the writer held the store in one of {0} tries", tries);
        collector.Numbers.Should().HaveCount(2 * tries);
    }

    private static async Task<bool> WithinAsync(Func<bool> condition, TimeSpan limit)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > limit)
            {
                return false;
            }

            await Task.Delay(5);
        }

        return true;
    }
}
