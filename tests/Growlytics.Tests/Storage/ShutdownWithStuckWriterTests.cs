namespace GrowlyticsSdk.Tests.Storage;

/// <summary>
/// At shutdown, what memory still holds is counted as dropped (<see cref="DropReason.Shutdown"/>) even when storage was
/// to write it: a writer stuck on a slow disk past the deadline, or a call that raced the shutdown, leaves messages
/// in the queue that nobody will take.
/// </summary>
public sealed class ShutdownWithStuckWriterTests : StorageTestBase
{
    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(200);

    [Fact]
    public async Task Shutdown_WriterStuckPastTheDeadline_MessagesStillQueuedAreCountedDropped()
    {
        var collector = new StorageCollector { Up = true };
        using var stuck = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        var logs = new RecordingLoggerFactory();
        var client = NewClient(collector, o =>
        {
            o.LoggerFactory = logs;
            o.ShutdownTimeout = TimeSpan.FromSeconds(2);
            o.BeforeStorageAppend = () =>
            {
                stuck.Set();
                release.Wait(TimeSpan.FromSeconds(30));
            };
        });

        try
        {
            // The writer takes the first message and is stuck writing it; the next five wait in memory for it.
            PushNumbers(client, 0, 1);
            var driving = Task.Run(() => DriveUntilAsync(() => stuck.IsSet, Step));
            stuck.Wait(TimeSpan.FromSeconds(30)).Should().BeTrue();
            await driving;
            PushNumbers(client, 1, 5);

            var shutdown = client.ShutdownAsync();
            await DriveUntilAsync(() => shutdown.IsCompleted, Step);
            await shutdown;

            client.Statistics.Dropped.Should().Be(5, "the messages left in memory are lost with the process, and counted");
            client.Statistics.Pending.Should().Be(1, "the writer still holds the first one");
            logs.Entries.Should().Contain(e => e.EventId == 2009 && e.Message.Contains("with 5 message(s)", StringComparison.Ordinal));
            ShouldBeBalanced(client.Statistics);
        }
        finally
        {
            // The writer finishes its write (the folder stays the client's until the process ends) before the folder goes.
            release.Set();
            await DriveUntilAsync(() => SegmentFiles().Length > 0, Step);
            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task Shutdown_WriteStuckPastTheDeadlineThenFails_TheMessagesItHandsBackAreCountedDropped()
    {
        var collector = new StorageCollector { Up = true };
        using var stuck = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        var fail = 0;
        var client = NewClient(collector, o =>
        {
            o.ShutdownTimeout = TimeSpan.FromSeconds(2);
            o.StorageWriteFault = () => Volatile.Read(ref fail) == 1 ? new IOException("No space left on device") : null;
            o.BeforeStorageAppend = () =>
            {
                stuck.Set();
                release.Wait(TimeSpan.FromSeconds(30));
            };
        });

        PushNumbers(client, 0, 1);
        var driving = Task.Run(() => DriveUntilAsync(() => stuck.IsSet, Step));
        stuck.Wait(TimeSpan.FromSeconds(30)).Should().BeTrue();
        await driving;
        PushNumbers(client, 1, 5);
        var shutdown = client.ShutdownAsync();
        await DriveUntilAsync(() => shutdown.IsCompleted, Step);
        await shutdown;
        client.Statistics.Pending.Should().Be(1, "the writer still holds the first message");

        // The stuck write fails after all: the message comes back to memory, where nothing will send it any more.
        Volatile.Write(ref fail, 1);
        release.Set();
        await DriveUntilAsync(() => client.Statistics.Pending == 0, Step);

        client.Statistics.Dropped.Should().Be(6);
        client.Statistics.DroppedByReason[DropReason.Shutdown].Should().Be(6);
        ShouldBeBalanced(client.Statistics);
    }
}
