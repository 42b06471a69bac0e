namespace GrowlyticsSdk.Tests.Storage;

/// <summary>
/// <c>FlushAsync</c> while the storage writer holds the stored queue's lock through a slow write and the delivery loop
/// waits for that lock to read the folder: the call returns its task without waiting for the disk on the caller's thread
/// (the SDK never blocks the app), and the task still completes once everything accepted before it is delivered.
/// </summary>
public sealed class FlushWhileTheStoreIsHeldTests : StorageTestBase
{
    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// The disk failed a write (memory delivers, so the flush does not wait for the writer first); the writer then saves the
    /// stored queue's position, under the store's lock, and the disk is slow to take it; the loop, woken, waits for the
    /// store to read the folder. The flush used to spin on the caller's thread until the write ended.
    /// </summary>
    [Fact]
    public async Task FlushAsync_DiskFailedAndThePositionsSaveIsSlow_ReturnsItsTaskAtOnceAndWaitsForWhatCameBefore()
    {
        using var writerInside = new ManualResetEventSlim();
        using var releaseWriter = new ManualResetEventSlim();
        using var loopAtStore = new ManualResetEventSlim();
        var answerA = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var answerB = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var requests = 0;
        var failAppends = 0;
        var holdWrite = 0;
        var watchLoop = 0;
        var collector = new StorageCollector { Up = true, BeforeAnswer = () => Interlocked.Increment(ref requests) switch { 1 => answerA.Task, 2 => answerB.Task, _ => Task.CompletedTask } };
        await using var client = NewClient(collector, o =>
        {
            o.StorageAppendFault = _ => Volatile.Read(ref failAppends) == 1 ? new IOException("No space left on device (test).") : null;
            o.StorageWriteFault = () =>
            {
                if (Interlocked.Exchange(ref holdWrite, 0) == 1)
                {
                    // Inside the store's lock, as a write that waits for a slow disk.
                    writerInside.Set();
                    releaseWriter.Wait(TimeSpan.FromSeconds(30));
                }

                return null;
            };
            o.BeforeStoreRead = () =>
            {
                if (Volatile.Read(ref watchLoop) == 1)
                {
                    loopAtStore.Set();
                }
            };
        });
        await DriveUntilAsync(() => client.Durable!.IsOwner, Step);

        // Two stored messages are sent, one request each; their answers wait.
        PushNumbers(client, 0, 1);
        var first = client.FlushAsync();
        await DriveUntilAsync(() => collector.Messages.Count == 1, Step);
        UpdateCustomerNumbers(client, 1, 1);
        var second = client.FlushAsync();
        await DriveUntilAsync(() => collector.Messages.Count == 2, Step);

        // The disk fails a write: memory delivers what it could not take, and the disk is tried again 5 s later.
        Volatile.Write(ref failAppends, 1);
        PushNumbers(client, 2, 1);
        await WrittenAsync(client);
        client.Durable!.IsBuffer.Should().BeFalse("the write failed a moment ago");

        // The oldest stored message is delivered: the writer's next turn saves the position (the other keeps the file), and
        // the disk holds that write.
        Volatile.Write(ref holdWrite, 1);
        answerA.SetResult();

        // The clock is moved on other threads: the writer and the loop may run on them, and wait there.
        var driving = Task.Run(() => DriveUntilAsync(() => writerInside.IsSet, Step));
        Task? waking = null;
        Task? flush = null;
        try
        {
            writerInside.Wait(TimeSpan.FromSeconds(30)).Should().BeTrue();
            client.Durable.IsBuffer.Should().BeFalse("the disk is not tried again yet");

            // A batch's worth of calls wakes the loop: it reads the folder first, and waits for the store's lock.
            Volatile.Write(ref watchLoop, 1);
            PushNumbers(client, 3, 100);
            waking = Task.Run(() => DriveUntilAsync(() => loopAtStore.IsSet, Step));
            loopAtStore.Wait(TimeSpan.FromSeconds(30)).Should().BeTrue();
            await Task.Delay(100);

            var call = Task.Run(() => { Volatile.Write(ref flush, client.FlushAsync()); });
            (await Task.WhenAny(call, Task.Delay(TimeSpan.FromSeconds(5)))).Should().BeSameAs(call, "FlushAsync returns its task without waiting on the caller's thread for the storage writer's slow write");
            releaseWriter.IsSet.Should().BeFalse();
            flush!.IsCompleted.Should().BeFalse("the calls before it are not delivered yet");
        }
        finally
        {
            Volatile.Write(ref failAppends, 0);
            releaseWriter.Set();
            answerB.TrySetResult();
            await driving;
            if (waking is not null)
            {
                await waking;
            }
        }

        await DriveUntilAsync(() => Volatile.Read(ref flush) is { IsCompleted: true } && first.IsCompleted && second.IsCompleted, Step);
        await flush!;
        client.Statistics.Delivered.Should().Be(103, "the flush waits for every call made before it");
        collector.Numbers.Should().BeEquivalentTo(Enumerable.Range(0, 103).Select(n => (long)n));
        ShouldBeBalanced(client.Statistics);
    }
}
