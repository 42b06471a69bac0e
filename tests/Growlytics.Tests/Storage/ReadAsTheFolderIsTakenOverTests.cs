namespace GrowlyticsSdk.Tests.Storage;

/// <summary>
/// A user's messages keep their order across the moment a client takes its folder over: a read of memory that began
/// while the folder was another client's ends before the storage writer takes anything from memory. Otherwise the writer
/// stored a message the read had not reached yet, the read went on to take the newer ones and sent them from memory, and
/// the older one arrived last, from disk.
/// </summary>
public sealed class ReadAsTheFolderIsTakenOverTests : StorageTestBase
{
    private const int Count = 10;
    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(250);

    [Fact]
    public async Task ReadOfMemoryUnderWay_WhenTheFolderIsTakenOver_OneUsersMessagesArriveInCallOrder()
    {
        var collector = new StorageCollector { Up = true };
        var first = NewClient(collector, o => o.SessionMode = SessionMode.RequireScope);
        await using var second = NewClient(collector);
        second.Durable!.IsOwner.Should().BeFalse();

        // Waited for with Task.Wait, which the thread pool sees blocking (it adds threads): both hooks block pool threads.
        var readerInside = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        var releaseReader = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        var writerTookOne = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        var releaseWriter = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        var readerTakes = 0;
        var writerTakes = 0;

        // The delivery loop's read of memory stops after its first message, the folder still the first client's.
        second.Memory.AfterTake = () =>
        {
            if (Interlocked.Increment(ref readerTakes) == 1)
            {
                readerInside.TrySetResult(true);
                releaseReader.Task.Wait(TimeSpan.FromSeconds(10));
            }
        };

        // The writer, once it holds the folder, takes one message, then waits at its next take.
        second.Memory.AfterWriterCounted = () =>
        {
            if (Interlocked.Increment(ref writerTakes) == 2)
            {
                writerTookOne.TrySetResult(true);
                releaseWriter.Task.Wait(TimeSpan.FromSeconds(10));
            }
        };

        var driving = Task.CompletedTask;
        try
        {
            // The loop reads at a batch's worth or at the flush interval: the clock is moved, on another thread (a timer it
            // fires can run the loop, which then waits in its hook), until it reads.
            PushNumbers(second, 0, Count);
            var toRead = Task.Run(() => DriveUntilAsync(() => readerInside.Task.IsCompleted, Step));
            (await Task.WhenAny(readerInside.Task, Task.Delay(TimeSpan.FromSeconds(10)))).Should().BeSameAs(readerInside.Task);
            driving = toRead;

            // The first client lets go, and the second takes the folder over while its read is under way. The writer then
            // takes from memory at once or, the read under way, once it has ended: waited for 1 s at most.
            // (The clock is moved on another thread again: a timer it fires can run the writer, which may wait in its hook.)
            await first.DisposeAsync();
            driving = Task.WhenAll(driving, Task.Run(() => DriveUntilAsync(() => second.Durable.IsOwner, Step)));
            for (var waited = 0; !second.Durable.IsOwner && waited < 10_000; waited += 5)
            {
                await Task.Delay(5);
            }

            await Task.WhenAny(writerTookOne.Task, Task.Delay(TimeSpan.FromSeconds(1)));

            // The read goes on, then the writer.
            releaseReader.TrySetResult(true);
            for (var waited = 0; second.Queue.Unread != 0 && waited < 10_000; waited += 5)
            {
                await Task.Delay(5);
            }
        }
        finally
        {
            releaseReader.TrySetResult(true);
            releaseWriter.TrySetResult(true);
        }

        await driving;

        var flush = second.FlushAsync();
        await DriveUntilAsync(() => flush.IsCompleted && second.Statistics.Delivered == Count, Step);
        second.Memory.AfterTake = null;
        second.Memory.AfterWriterCounted = null;
        collector.Messages.Select(m => m.N).Should().Equal(
            Enumerable.Range(0, Count).Select(n => (long?)n),
            "one user's messages arrive in call order (the writer took one during the read: {0})",
            writerTookOne.Task.IsCompleted);
        ShouldBeBalanced(second.Statistics);
    }
}
