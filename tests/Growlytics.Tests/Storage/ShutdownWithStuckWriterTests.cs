namespace GrowlyticsSdk.Tests.Storage;

/// <summary>
/// At shutdown, what memory still holds is counted as dropped (<see cref="DropReason.Shutdown"/>) even when storage was
/// to write it: a writer stuck on a slow disk past the deadline, or a call that raced the shutdown, leaves messages
/// in the queue that nobody will take; and a stuck write that fails after all hands its messages back to nobody.
/// </summary>
public sealed class ShutdownWithStuckWriterTests : StorageTestBase
{
    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(200);

    [Fact]
    public async Task Shutdown_WriterStuckPastTheDeadline_MessagesStillQueuedAreCountedDropped()
    {
        using var writer = new StuckWriter();
        var logs = new RecordingLoggerFactory();
        var client = await ShutDownWithTheWriterStuckAsync(writer, o => o.LoggerFactory = logs);
        try
        {
            client.Statistics.Dropped.Should().Be(5, "the messages left in memory are lost with the process, and counted");
            client.Statistics.Pending.Should().Be(1, "the writer still holds the first one");
            logs.Entries.Should().Contain(e => e.EventId == 2009 && e.Message.Contains("with 5 message(s)", StringComparison.Ordinal));
            ShouldBeBalanced(client.Statistics);
        }
        finally
        {
            // The writer finishes its write (then the client releases the folder) before the folder goes.
            writer.Release.Set();
            await DriveUntilAsync(() => SegmentFiles().Length > 0, Step);
            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task Shutdown_WriteStuckPastTheDeadlineThenFails_TheMessagesItHandsBackAreCountedDropped()
    {
        using var writer = new StuckWriter();
        var fail = 0;
        var client = await ShutDownWithTheWriterStuckAsync(
            writer,
            o => o.StorageWriteFault = () => Volatile.Read(ref fail) == 1 ? new IOException("No space left on device") : null);
        client.Statistics.Pending.Should().Be(1, "the writer still holds the first message");

        // The stuck write fails after all: the message comes back to memory, where nothing will send it any more.
        Volatile.Write(ref fail, 1);
        writer.Release.Set();
        await DriveUntilAsync(() => client.Statistics.Pending == 0, Step);

        client.Statistics.Dropped.Should().Be(6);
        client.Statistics.DroppedByReason[DropReason.Shutdown].Should().Be(6);
        ShouldBeBalanced(client.Statistics);
    }

    /// <summary>
    /// The writer takes the first message and is stuck writing it; the next five wait in memory for it; the client shuts
    /// down with a 2 s deadline that the writer misses.
    /// </summary>
    private async Task<GrowlyticsClient> ShutDownWithTheWriterStuckAsync(StuckWriter writer, Action<GrowlyticsOptions> configure)
    {
        var client = NewClient(new StorageCollector { Up = true }, o =>
        {
            o.ShutdownTimeout = TimeSpan.FromSeconds(2);
            o.TimeProvider = new PoolTimers(Time);
            o.BeforeStorageAppend = () =>
            {
                writer.Stuck.Set();
                writer.Release.Wait(TimeSpan.FromSeconds(30));
            };
            configure(o);
        });

        PushNumbers(client, 0, 1);
        var driving = Task.Run(() => DriveUntilAsync(() => writer.Stuck.IsSet, Step));
        writer.Stuck.Wait(TimeSpan.FromSeconds(30)).Should().BeTrue();
        await driving;
        PushNumbers(client, 1, 5);

        var shutdown = client.ShutdownAsync();
        await DriveUntilAsync(() => shutdown.IsCompleted, Step);
        await shutdown;
        return client;
    }

    private sealed class StuckWriter : IDisposable
    {
        public ManualResetEventSlim Stuck { get; } = new();

        public ManualResetEventSlim Release { get; } = new();

        public void Dispose()
        {
            Release.Set();
            Stuck.Dispose();
            Release.Dispose();
        }
    }
}
