using GrowlyticsSdk.Storage;

namespace GrowlyticsSdk.Tests.Storage;

/// <summary>
/// Messages that went to memory while the disk was full, in a service outage: at shutdown the disk has room again, but
/// not for a whole segment's worth in one write. They are written in smaller writes, not dropped with the process.
/// </summary>
public sealed class ShutdownOnANearlyFullDiskTests : StorageTestBase
{
    private const int Count = 400;

    // The largest write the disk takes once it has some room again (a few records' worth).
    private const int RoomForOneWrite = 2_000;

    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(200);

    private readonly StorageCollector _collector = new() { Up = false };
    private int _diskFull = 1;
    private int _tooLargeWrites;

    [Fact]
    public async Task Shutdown_WhenTheDiskTakesOnlySmallWrites_WritesWhatMemoryHeldInSmallerWrites()
    {
        var client = NewClient(_collector, o =>
        {
            o.StorageWriteFault = () => Volatile.Read(ref _diskFull) == 1 ? new IOException("No space left on device") : null;
            o.StorageAppendFault = size =>
            {
                if (size <= RoomForOneWrite)
                {
                    return null;
                }

                Interlocked.Increment(ref _tooLargeWrites);
                return new IOException("No space left on device", 28);
            };
            o.ShutdownTimeout = TimeSpan.FromSeconds(5);
            o.MaxRetryAttempts = 0;
        });
        try
        {
            PushNumbers(client, 0, Count);
            await DriveUntilAsync(() => _collector.Attempts > 0, Step);

            // Some room again: the writer finds out at its next try (the shutdown's).
            Volatile.Write(ref _diskFull, 0);
            Time.Advance(DurableQueue.DiskRetryInterval + TimeSpan.FromSeconds(1));
        }
        finally
        {
            await ShutDownDrivingAsync(client, TimeSpan.FromMilliseconds(20));
        }

        _tooLargeWrites.Should().BeGreaterThan(0, "the shutdown's first write holds more than the disk takes");
        await ShouldHaveKeptNumbersInTheFolderAsync(client, _collector, Count, Step);
    }

    [Fact]
    public void Append_WhenTheDiskTakesOnlySmallWrites_WritesEveryRecordOnceInOrder()
    {
        System.IO.Directory.CreateDirectory(Directory);
        var refused = 0;
        var records = Enumerable.Range(0, 50).Select(n => (Payload: new[] { (byte)n, (byte)(n + 1), (byte)(n + 2) }, AcceptedMs: (long)n, Calls: 1)).ToList();
        var log = new SegmentLog(Directory, 1024 * 1024, [], 0)
        {
            AppendFault = size =>
            {
                if (size > 300)
                {
                    refused++;
                    return new IOException("No space left on device", 28);
                }

                return null;
            },
        };

        log.Append(records);

        records.Should().BeEmpty("every record was written, in writes the disk took");
        refused.Should().BeGreaterThan(0);
        log.Pending.Should().Be(50);
        var loaded = SegmentLoader.Load(Directory, long.MaxValue);
        loaded.Segments.Should().ContainSingle("the smaller writes go on in the segment being written");
        loaded.Segments.Sum(s => s.Pending).Should().Be(50);
    }

    [Fact]
    public void Append_WhenTheDiskFailsForAnotherReason_DoesNotTrySmallerWrites()
    {
        System.IO.Directory.CreateDirectory(Directory);
        var writes = 0;
        var log = new SegmentLog(Directory, 1024 * 1024, [], 0)
        {
            AppendFault = _ =>
            {
                writes++;
                return new IOException("Input/output error", 5);
            },
        };
        var records = Enumerable.Range(0, 50).Select(n => (Payload: new[] { (byte)n }, AcceptedMs: (long)n, Calls: 1)).ToList();

        var append = () => log.Append(records);

        append.Should().Throw<IOException>();
        writes.Should().Be(1, "only a disk without room may take a smaller write");
        records.Should().HaveCount(50, "nothing was written: all of them go back to the caller");
    }
}
