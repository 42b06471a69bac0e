#if !GROWLYTICS_LIBRARY_NETSTANDARD
using System.Runtime.InteropServices;
using GrowlyticsSdk.Storage;

namespace GrowlyticsSdk.Tests.Storage;

/// <summary>
/// Ctrl+C, SIGTERM or SIGHUP (.NET 10 and later) with a zero <see cref="GrowlyticsOptions.ShutdownTimeout"/>: what memory
/// holds (the disk failed, and works again) is written to the folder before the handler returns, within the 250 ms the
/// storage write gets past the deadline, as <see cref="GrowlyticsClient.ShutdownAsync"/> keeps it with a zero timeout.
/// </summary>
public sealed class ExitSignalWithNoTimeoutTests : StorageTestBase
{
    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(20);

    private readonly StorageCollector _collector = new() { Up = false };
    private int _diskFull = 1;

    [Fact]
    public async Task ExitSignal_ZeroShutdownTimeoutAfterTheDiskCameBack_WritesWhatMemoryHeldToTheFolder()
    {
        var client = NewClient(_collector, o =>
        {
            o.StorageWriteFault = () => Volatile.Read(ref _diskFull) == 1 ? new IOException("No space left on device") : null;
            o.ShutdownTimeout = TimeSpan.Zero;
        });
        try
        {
            PushNumbers(client, 0, 20);
            await DriveUntilAsync(() => _collector.Attempts > 0, TimeSpan.FromMilliseconds(200));
            Volatile.Write(ref _diskFull, 0);
            Time.Advance(DurableQueue.DiskRetryInterval + TimeSpan.FromSeconds(1));

            var handler = Task.Run(() => Growlytics.FlushOnSignal(client, new PosixSignalContext(PosixSignal.SIGTERM)));
            await DriveUntilAsync(() => handler.IsCompleted, Step);
            await handler;

            SegmentLoader.Load(Directory, long.MaxValue).Segments.Sum(s => s.Pending).Should().Be(20, "what memory held is in the folder before the process ends");
        }
        finally
        {
            await ShutDownDrivingAsync(client, Step);
        }
    }
}
#endif
