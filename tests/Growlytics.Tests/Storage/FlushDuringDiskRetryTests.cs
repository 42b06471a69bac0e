using GrowlyticsSdk.Storage;

namespace GrowlyticsSdk.Tests.Storage;

/// <summary>
/// A flush while the disk fails waits for delivery from memory, the messages the storage writer holds as it tries the disk
/// again included (a failed write hands them back to memory).
/// </summary>
public sealed class FlushDuringDiskRetryTests : StorageTestBase
{
    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(200);

    [Fact]
    public async Task Flush_WhileTheWriterTriesTheFailingDiskAgain_WaitsForTheMessageItHolds()
    {
        var collector = new StorageCollector { Up = true };
        var holdWrites = 0;
        using var writing = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        await using var client = NewClient(collector, o =>
        {
            // Only flushes and the storage writer move messages: no send waits for a partial batch on its own.
            o.FlushInterval = TimeSpan.FromHours(1);
            o.StorageWriteFault = () => new IOException("No space left on device");

            // Held with the message in hand, before the write (and its lock): the delivery loop runs on meanwhile.
            o.BeforeStorageAppend = () =>
            {
                if (Volatile.Read(ref holdWrites) == 1)
                {
                    writing.Set();
                    release.Wait(TimeSpan.FromSeconds(30));
                }
            };
        });

        // The disk fails at the first write: the message goes back to memory and is delivered from there.
        PushNumbers(client, 0, 1);
        await client.FlushAsync();
        await DriveUntilAsync(() => client.Statistics.Delivered == 1, Step);

        // Past the retry interval the writer tries the disk again with the next message in hand, and is held there.
        Volatile.Write(ref holdWrites, 1);
        Time.Advance(DurableQueue.DiskRetryInterval + TimeSpan.FromSeconds(1));
        PushNumbers(client, 1, 1);

        // The clock's timers run on the thread that moves it, the writer's commit among them: moved from another thread.
        var driving = Task.Run(() => DriveUntilAsync(() => writing.IsSet, Step));
        writing.Wait(TimeSpan.FromSeconds(30)).Should().BeTrue("the writer tries the disk again");

        // Neither in the queue nor handed back yet: the flush must still wait for it.
        var flush = client.FlushAsync();
        var pendingWhenFlushed = flush.ContinueWith(_ => client.Statistics.Pending, TaskContinuationOptions.ExecuteSynchronously);
        // Long enough for a flush that ignored the held message to complete (it would find nothing else to wait for).
        await Task.WhenAny(flush, Task.Delay(TimeSpan.FromSeconds(1.5)));
        release.Set();
        await driving;
        await DriveUntilAsync(() => flush.IsCompleted, Step);

        (await pendingWhenFlushed).Should().Be(0, "the flush returns only once the message the writer held is delivered");
        collector.Numbers.Should().BeEquivalentTo([0L, 1L]);
        ShouldBeBalanced(client.Statistics);
    }
}
