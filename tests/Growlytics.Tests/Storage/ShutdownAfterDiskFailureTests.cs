using GrowlyticsSdk.Storage;

namespace GrowlyticsSdk.Tests.Storage;

/// <summary>
/// Messages that went to memory while the disk failed, in a service outage: once the disk works again, the shutdown
/// writes them to the folder for the next start instead of dropping them with the process.
/// </summary>
public sealed class ShutdownAfterDiskFailureTests : StorageTestBase
{
    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(200);

    private readonly StorageCollector _collector = new() { Up = false };
    private int _diskFull = 1;

    [Theory]
    [InlineData(0)]
    [InlineData(6)]
    public async Task Shutdown_InAnOutageAfterTheDiskCameBack_WritesWhatMemoryHeldToTheFolder(int retries)
    {
        var client = await PushedWhileTheDiskIsFullAsync(o => o.MaxRetryAttempts = retries);
        try
        {
            // The disk has room again; the writer finds out at its next try, with the next messages.
            DiskHasRoomAgain();
            PushNumbers(client, 20, 10);
            await StoredAsync(client);
        }
        finally
        {
            await ShutDownDrivingAsync(client, TimeSpan.FromMilliseconds(20));
        }

        await ShouldHaveKeptNumbersInTheFolderAsync(client, _collector, 30, Step);
    }

    [Fact]
    public async Task Shutdown_InAnOutageAfterTheDiskCameBackWithNoWriteSince_WritesWhatMemoryHeldToTheFolder()
    {
        var client = await PushedWhileTheDiskIsFullAsync();
        try
        {
            // The disk has room again, and nothing has been written since.
            DiskHasRoomAgain();
        }
        finally
        {
            await ShutDownDrivingAsync(client, TimeSpan.FromMilliseconds(20));
        }

        System.IO.Directory.GetFiles(Directory, "*.tmp").Should().BeEmpty("the disk's probe leaves no file behind");
        await ShouldHaveKeptNumbersInTheFolderAsync(client, _collector, 20, Step);
    }

#if !GROWLYTICS_LIBRARY_NETSTANDARD
    [Fact]
    public async Task ExitSignal_InAnOutageAfterTheDiskCameBackWithNoWriteSince_WritesWhatMemoryHeldToTheFolder()
    {
        var client = await PushedWhileTheDiskIsFullAsync();
        try
        {
            DiskHasRoomAgain();

            // Ctrl+C, SIGTERM or SIGHUP (.NET 10 and later): the process usually ends when the handler returns.
            var handler = Task.Run(() => Growlytics.FlushOnSignal(client, new System.Runtime.InteropServices.PosixSignalContext(System.Runtime.InteropServices.PosixSignal.SIGHUP)));
            await DriveUntilAsync(() => handler.IsCompleted, TimeSpan.FromMilliseconds(20));
            await handler;
            SegmentLoader.Load(Directory, long.MaxValue).Segments.Sum(s => s.Pending).Should().Be(20, "what memory held is in the folder before the process ends");
        }
        finally
        {
            await ShutDownDrivingAsync(client, TimeSpan.FromMilliseconds(20));
        }

        await ShouldHaveKeptNumbersInTheFolderAsync(client, _collector, 20, Step);
    }
    [Fact]
    public async Task ExitSignal_WhileAShutdownWritesWhatMemoryHeld_ReturnsOnceTheShutdownHasCompleted()
    {
        using var writerInside = new ManualResetEventSlim();
        using var releaseWriter = new ManualResetEventSlim();
        var holdNext = 0;
        var faultCalls = 0;
        var afterHold = 0;
        var client = await PushedWhileTheDiskIsFullAsync(o =>
        {
            var fault = o.StorageWriteFault!;
            o.StorageWriteFault = () =>
            {
                // Counted for the message of a wait that times out.
                Interlocked.Increment(ref faultCalls);
                if (Volatile.Read(ref holdNext) == 1)
                {
                    Interlocked.Increment(ref afterHold);
                }

                // A slow disk: the shutdown's first touch of it takes a while.
                if (Interlocked.Exchange(ref holdNext, 0) == 1)
                {
                    writerInside.Set();
                    releaseWriter.Wait(TimeSpan.FromSeconds(30));
                }

                return fault();
            };
        });
        try
        {
            DiskHasRoomAgain();
            Volatile.Write(ref holdNext, 1);
            var shutdown = client.ShutdownAsync();
            await DriveUntilAsync(() => writerInside.IsSet, TimeSpan.FromMilliseconds(20), () => $"shutdown {shutdown.Status}, disk touched {Volatile.Read(ref faultCalls)} times ({Volatile.Read(ref afterHold)} since the hold was set), enqueued/delivered/dropped/pending {client.Statistics.Enqueued}/{client.Statistics.Delivered}/{client.Statistics.Dropped}/{client.Statistics.Pending}");

            // Ctrl+C, SIGTERM or SIGHUP while the app's shutdown writes what memory held to the folder: the process ends
            // when the handler returns.
            var handler = Task.Run(() => Growlytics.FlushOnSignal(client, new System.Runtime.InteropServices.PosixSignalContext(System.Runtime.InteropServices.PosixSignal.SIGTERM)));
            var heldAt = Time.GetUtcNow();
            await DriveUntilAsync(
                () =>
                {
                    if (Time.GetUtcNow() - heldAt >= TimeSpan.FromSeconds(1))
                    {
                        releaseWriter.Set();
                    }

                    return handler.IsCompleted;
                },
                TimeSpan.FromMilliseconds(20));
            await handler;

            shutdown.IsCompleted.Should().BeTrue("the handler waits for the running shutdown, as the process exit's handler does");
            SegmentLoader.Load(Directory, long.MaxValue).Segments.Sum(s => s.Pending).Should().Be(20, "what memory held is in the folder before the process ends");
        }
        finally
        {
            releaseWriter.Set();
            await ShutDownDrivingAsync(client, TimeSpan.FromMilliseconds(20));
        }

        await ShouldHaveKeptNumbersInTheFolderAsync(client, _collector, 20, Step);
    }
#endif

    [Fact]
    public async Task Shutdown_InAnOutageWithTheDiskStillFull_DropsWhatMemoryHeldAndLeavesNoProbeBehind()
    {
        var client = await PushedWhileTheDiskIsFullAsync();
        try
        {
            Time.Advance(DurableQueue.DiskRetryInterval + TimeSpan.FromSeconds(1));
        }
        finally
        {
            await ShutDownDrivingAsync(client, TimeSpan.FromMilliseconds(20));
        }

        client.Statistics.DroppedByReason[DropReason.Shutdown].Should().Be(20, "the disk still fails: memory's messages go with the process");
        ShouldBeBalanced(client.Statistics);
        System.IO.Directory.GetFiles(Directory, "*.tmp").Should().BeEmpty();
    }

    // The disk is full: the numbers 0 to 19 go to memory, and the service does not take them.
    private async Task<GrowlyticsClient> PushedWhileTheDiskIsFullAsync(Action<GrowlyticsOptions>? configure = null)
    {
        var client = NewClient(_collector, o =>
        {
            o.StorageWriteFault = () => Volatile.Read(ref _diskFull) == 1 ? new IOException("No space left on device") : null;
            o.ShutdownTimeout = TimeSpan.FromSeconds(5);
            configure?.Invoke(o);
        });
        PushNumbers(client, 0, 20);
        await DriveUntilAsync(() => _collector.Attempts > 0, Step);
        return client;
    }

    private void DiskHasRoomAgain()
    {
        Volatile.Write(ref _diskFull, 0);
        Time.Advance(DurableQueue.DiskRetryInterval + TimeSpan.FromSeconds(1));
    }
}
