using GrowlyticsSdk.Storage;

namespace GrowlyticsSdk.Tests.Storage;

/// <summary>
/// Messages that went to memory while the disk failed, in a service outage: once the disk works again, the shutdown
/// writes them to the folder for the next start instead of dropping them with the process.
/// </summary>
public sealed class ShutdownAfterDiskFailureTests : StorageTestBase
{
    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(200);

    [Theory]
    [InlineData(0)]
    [InlineData(6)]
    public async Task Shutdown_InAnOutageAfterTheDiskCameBack_WritesWhatMemoryHeldToTheFolder(int retries)
    {
        var collector = new StorageCollector { Up = false };
        var diskFull = 1;
        var client = NewClient(collector, o =>
        {
            o.StorageWriteFault = () => Volatile.Read(ref diskFull) == 1 ? new IOException("No space left on device") : null;
            o.MaxRetryAttempts = retries;
            o.ShutdownTimeout = TimeSpan.FromSeconds(5);
        });
        try
        {
            // The disk is full: the messages go to memory, and the service does not take them.
            PushNumbers(client, 0, 20);
            await DriveUntilAsync(() => collector.Attempts > 0, Step);

            // The disk has room again; the writer finds out at its next try, with the next messages.
            Volatile.Write(ref diskFull, 0);
            Time.Advance(DurableQueue.DiskRetryInterval + TimeSpan.FromSeconds(1));
            PushNumbers(client, 20, 10);
            await StoredAsync(client);
        }
        finally
        {
            // Within the deadline: the fake clock moves only when the test moves it.
            var shutdown = client.ShutdownAsync();
            await DriveUntilAsync(() => shutdown.IsCompleted, TimeSpan.FromMilliseconds(20));
            await shutdown;
        }

        await ShouldHaveKeptNumbersInTheFolderAsync(client, collector, 30, Step);
    }

    [Fact]
    public async Task Shutdown_InAnOutageAfterTheDiskCameBackWithNoWriteSince_WritesWhatMemoryHeldToTheFolder()
    {
        var collector = new StorageCollector { Up = false };
        var diskFull = 1;
        var client = NewClient(collector, o =>
        {
            o.StorageWriteFault = () => Volatile.Read(ref diskFull) == 1 ? new IOException("No space left on device") : null;
            o.ShutdownTimeout = TimeSpan.FromSeconds(5);
        });
        try
        {
            PushNumbers(client, 0, 20);
            await DriveUntilAsync(() => collector.Attempts > 0, Step);

            // The disk has room again, and nothing has been written since.
            Volatile.Write(ref diskFull, 0);
            Time.Advance(DurableQueue.DiskRetryInterval + TimeSpan.FromSeconds(1));
        }
        finally
        {
            var shutdown = client.ShutdownAsync();
            await DriveUntilAsync(() => shutdown.IsCompleted, TimeSpan.FromMilliseconds(20));
            await shutdown;
        }

        System.IO.Directory.GetFiles(Directory, "*.tmp").Should().BeEmpty("the disk's probe leaves no file behind");
        await ShouldHaveKeptNumbersInTheFolderAsync(client, collector, 20, Step);
    }

    [Fact]
    public async Task Shutdown_InAnOutageWithTheDiskStillFull_DropsWhatMemoryHeldAndLeavesNoProbeBehind()
    {
        var collector = new StorageCollector { Up = false };
        var client = NewClient(collector, o =>
        {
            o.StorageWriteFault = () => new IOException("No space left on device");
            o.ShutdownTimeout = TimeSpan.FromSeconds(5);
        });
        try
        {
            PushNumbers(client, 0, 20);
            await DriveUntilAsync(() => collector.Attempts > 0, Step);
            Time.Advance(DurableQueue.DiskRetryInterval + TimeSpan.FromSeconds(1));
        }
        finally
        {
            var shutdown = client.ShutdownAsync();
            await DriveUntilAsync(() => shutdown.IsCompleted, TimeSpan.FromMilliseconds(20));
            await shutdown;
        }

        client.Statistics.DroppedByReason[DropReason.Shutdown].Should().Be(20, "the disk still fails: memory's messages go with the process");
        ShouldBeBalanced(client.Statistics);
        System.IO.Directory.GetFiles(Directory, "*.tmp").Should().BeEmpty();
    }
}
