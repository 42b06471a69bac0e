using GrowlyticsSdk.Diagnostics;
using GrowlyticsSdk.Sessions;
using GrowlyticsSdk.Storage;
using Microsoft.Extensions.Logging.Abstractions;

namespace GrowlyticsSdk.Tests.Storage;

/// <summary>
/// <see cref="GrowlyticsOptions.MaxStorageBytes"/> holds at its edges: one message larger than the folder may hold is
/// delivered from memory (not stored at the cost of every older message), and a new segment's header is counted.
/// </summary>
public sealed class StorageBoundEdgeTests : StorageTestBase
{
    private const long Bound = 64 * 1024;
    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(200);

    [Fact]
    public async Task OneMessageLargerThanTheFolderMayHold_IsDeliveredFromMemoryAndNothingOlderIsDropped()
    {
        var collector = new StorageCollector();
        await using var client = NewClient(collector, o => o.MaxStorageBytes = Bound);
        PushNumbers(client, 0, 20);
        await StoredAsync(client);

        // About 108 KB as a stored record (a valid batch message: 200 attributes of 500 characters).
        var large = new Dictionary<string, object?>();
        for (var i = 0; i < 200; i++)
        {
            large["a" + i] = new string('x', 500);
        }

        client.User.Push(large);
        await StoredAsync(client);

        FolderBytes().Should().BeLessThanOrEqualTo(Bound);
        (client.Statistics.Dropped, client.Statistics.Pending).Should().Be((0, 21), "the older stored messages stay");

        collector.Up = true;
        await DriveUntilAsync(() => client.Statistics.Delivered == 21, Step);
        collector.Messages.Should().HaveCount(21);
        ShouldBeBalanced(client.Statistics);
    }

    [Fact]
    public void Enforce_ARecordThatStartsANewSegment_CountsTheSegmentsHeader()
    {
        System.IO.Directory.CreateDirectory(Directory);
        const long max = 256 * 1024;
        var options = new GrowlyticsOptions { ApiKey = "k", StorageDirectory = Directory, MaxStorageBytes = max, TimeProvider = Time };
        var limits = new StorageLimits(options, new DeliveryCounters(), NullLogger.Instance);
        limits.SegmentBytes.Should().Be(16 * 1024);

        // Four records and a segment header fill a segment exactly; a large session file (a REST session's held
        // attributes) leaves the queue a budget that the 57th record reaches exactly, with the header of its new segment
        // over it.
        const int recordSize = 4094;
        const int segments = 14;
        File.WriteAllBytes(Path.Combine(Directory, SessionStore.FileName), new byte[max - ((16384L * segments) + recordSize)]);
        var log = new SegmentLog(Directory, limits.SegmentBytes, [], 0);
        var payload = new byte[recordSize - RecordFormat.RecordHeaderSize];
        var acceptedMs = Time.GetUtcNow().ToUnixTimeMilliseconds();
        for (var i = 0; i < (4 * segments) + 1; i++)
        {
            limits.Enforce(log, recordSize, []);
            log.Append([(payload, acceptedMs, 1)]);
        }

        FolderBytes().Should().BeLessThanOrEqualTo(max);
        log.Dispose();
    }
}
