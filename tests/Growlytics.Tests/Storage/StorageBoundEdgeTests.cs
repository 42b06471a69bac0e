using GrowlyticsSdk.Diagnostics;
using GrowlyticsSdk.Sessions;
using GrowlyticsSdk.Storage;
using Microsoft.Extensions.Logging.Abstractions;

namespace GrowlyticsSdk.Tests.Storage;

/// <summary>
/// <see cref="GrowlyticsOptions.MaxStorageBytes"/> holds at its edges: one message larger than the folder may hold is
/// delivered from memory (not stored at the cost of every older message), and a new segment's header is counted; a
/// folder exactly at the bound keeps everything, one byte over drops the oldest segment (<see cref="DropReason.StorageFull"/>);
/// <see cref="GrowlyticsOptions.MaxStorageAge"/> drops a segment once its newest message is older than it, not when just
/// as old, and a record read exactly that old is sent.
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

    [Fact]
    public void Enforce_AFolderExactlyAtTheBound_KeepsEverything_AndOneByteOverDropsTheOldestSegmentAsStorageFull()
    {
        System.IO.Directory.CreateDirectory(Directory);
        const long max = 64 * 1024;
        var counters = new DeliveryCounters();
        var limits = new StorageLimits(NewLimitsOptions(max, TimeSpan.FromDays(3)), counters, NullLogger.Instance);
        using var log = new SegmentLog(Directory, limits.SegmentBytes, [], 0);

        // Three segments of two records each; the oldest two records settle 1 and 2 calls.
        var acceptedMs = Time.GetUtcNow().ToUnixTimeMilliseconds();
        for (var i = 0; i < 6; i++)
        {
            log.Append([(new byte[2040], acceptedMs, i + 1)]);
        }

        (log.SegmentCount, log.Pending).Should().Be((3, 6));

        // The room a write may take without a drop: the bound less the reserve for the SDK's other files and two segment headers.
        var room = limits.Room(log);
        room.Should().Be(max - StorageLimits.ReservedBytes - log.TotalBytes - (2 * RecordFormat.SegmentHeaderSize));

        limits.Enforce(log, room, []);
        (log.SegmentCount, log.Pending).Should().Be((3, 6), "the folder with the write comes exactly to the bound");
        counters.GetDropped(DropReason.StorageFull).Should().Be(0);

        limits.Enforce(log, room + 1, []).Should().Be(DropReason.StorageFull);
        (log.SegmentCount, log.Pending).Should().Be((2, 4), "one byte over the bound drops the oldest segment, and only it");
        SegmentFiles().Should().HaveCount(2);
        (counters.GetDropped(DropReason.StorageFull), counters.GetDropped(DropReason.Expired)).Should().Be((3, 0), "the oldest segment's calls");
    }

    [Fact]
    public void Enforce_AtMaxStorageAge_KeepsTheSegment_AndAMillisecondLaterDropsItAsExpired()
    {
        System.IO.Directory.CreateDirectory(Directory);
        var maxAge = TimeSpan.FromMinutes(1);
        var counters = new DeliveryCounters();
        var limits = new StorageLimits(NewLimitsOptions(64 * 1024, maxAge), counters, NullLogger.Instance);
        using var log = new SegmentLog(Directory, limits.SegmentBytes, [], 0);

        // Two segments, the second's newest message a millisecond younger than the first's.
        var first = Time.GetUtcNow();
        log.Append([(new byte[2040], first.ToUnixTimeMilliseconds(), 1), (new byte[2040], first.ToUnixTimeMilliseconds(), 2)]);
        Time.Advance(TimeSpan.FromMilliseconds(1));
        log.Append([(new byte[2040], Time.GetUtcNow().ToUnixTimeMilliseconds(), 4)]);
        log.SegmentCount.Should().Be(2);

        Time.SetUtcNow(first + maxAge);
        limits.Enforce(log, 0, []);
        (log.SegmentCount, counters.GetDropped(DropReason.Expired)).Should().Be((2, 0), "the oldest messages are exactly MaxStorageAge old, not older");

        Time.Advance(TimeSpan.FromMilliseconds(1));
        limits.Enforce(log, 0, []).Should().Be(DropReason.Expired);
        (log.SegmentCount, log.Pending).Should().Be((1, 1), "only the segment whose newest message is older than MaxStorageAge goes");
        (counters.GetDropped(DropReason.Expired), counters.GetDropped(DropReason.StorageFull)).Should().Be((3, 0), "the first segment's calls");
    }

    [Fact]
    public void Read_AtMaxStorageAge_ReadsTheRecord_AndOneAMillisecondOlderIsExpired()
    {
        System.IO.Directory.CreateDirectory(Directory);
        var maxAge = TimeSpan.FromMinutes(1);
        var limits = new StorageLimits(NewLimitsOptions(64 * 1024, maxAge), new DeliveryCounters(), NullLogger.Instance);
        using var log = new SegmentLog(Directory, limits.SegmentBytes, [], 0);

        // One segment: a record that is a millisecond older than MaxStorageAge when read, and one exactly that old.
        log.Append([(new byte[] { (byte)'{', (byte)'}' }, Time.GetUtcNow().ToUnixTimeMilliseconds(), 1)]);
        Time.Advance(TimeSpan.FromMilliseconds(1));
        var second = Time.GetUtcNow();
        log.Append([(new byte[] { (byte)'{', (byte)'}' }, second.ToUnixTimeMilliseconds(), 1)]);

        Time.SetUtcNow(second + maxAge);
        var records = new List<StoredRecord>();
        log.Read(10, limits.ExpiredBeforeMs(), records, out var expired);

        expired.Should().Be(1, "the first record's call: older than MaxStorageAge");
        records.Select(r => r.AcceptedMs).Should().Equal([second.ToUnixTimeMilliseconds()], "the record exactly MaxStorageAge old is read");
        log.Pending.Should().Be(1);
    }

    [Theory]
    [InlineData(GrowlyticsProtocol.Batch, 0)]
    [InlineData(GrowlyticsProtocol.Rest, 2 * 8 * 1024)]
    public void MaxRecordBytes_IsTheRoomOfAFolderHoldingNothingElse(GrowlyticsProtocol protocol, long sessionReserve)
    {
        // The largest record the writer stores rather than sending it from memory: stored in a folder holding nothing else,
        // it drops nothing, and one byte more would leave no room for the headers of the segments it may start.
        System.IO.Directory.CreateDirectory(Directory);
        const long max = 64 * 1024;
        var options = NewLimitsOptions(max, TimeSpan.FromDays(3));
        options.Protocol = protocol;
        var limits = new StorageLimits(options, new DeliveryCounters(), NullLogger.Instance);
        using var log = new SegmentLog(Directory, limits.SegmentBytes, [], 0);

        limits.MaxRecordBytes.Should().Be(max - StorageLimits.ReservedBytes - sessionReserve - (2 * RecordFormat.SegmentHeaderSize));
        limits.Room(log).Should().Be(limits.MaxRecordBytes);
    }

    [Theory]
    [InlineData(64 * 1024, 4 * 1024)]
    [InlineData(8L * 1024 * 1024, 512 * 1024)]
    [InlineData(16L * 1024 * 1024, 1024 * 1024)]
    [InlineData(50L * 1024 * 1024, 1024 * 1024)]
    public void SegmentBytes_IsASixteenthOfTheBound_AtMostOneMegabyte(long maxStorageBytes, long segmentBytes)
    {
        var limits = new StorageLimits(NewLimitsOptions(maxStorageBytes, TimeSpan.FromDays(3)), new DeliveryCounters(), NullLogger.Instance);

        limits.SegmentBytes.Should().Be(segmentBytes);
    }

    [Fact]
    public void Enforce_ASegmentWhoseLastRecordIsOlderThanAnEarlierOne_IsJudgedByItsNewest_AlsoAfterARestart()
    {
        // The wall clock set back while recording: the segment's last record carries an older time than the one before it.
        System.IO.Directory.CreateDirectory(Directory);
        var maxAge = TimeSpan.FromMinutes(1);
        var options = NewLimitsOptions(64 * 1024, maxAge);
        var newest = Time.GetUtcNow();
        var counters = new DeliveryCounters();
        var limits = new StorageLimits(options, counters, NullLogger.Instance);
        using (var log = new SegmentLog(Directory, 64 * 1024, [], 0))
        {
            log.Append([(new byte[] { (byte)'{', (byte)'}' }, newest.ToUnixTimeMilliseconds(), 1), (new byte[] { (byte)'{', (byte)'}' }, (newest - TimeSpan.FromSeconds(30)).ToUnixTimeMilliseconds(), 1)]);
            log.SaveAck();

            // Older than MaxStorageAge for the last record, not for the newest one: kept, as written and as loaded at the next start.
            Time.SetUtcNow(newest + maxAge - TimeSpan.FromSeconds(10));
            limits.Enforce(log, 0, []);
            (log.SegmentCount, log.Pending).Should().Be((1, 2), "the segment's newest message is younger than MaxStorageAge");
        }

        var loaded = SegmentLoader.Load(Directory, long.MaxValue);
        using var restored = new SegmentLog(Directory, 64 * 1024, loaded.Segments, loaded.MaxId);
        limits.Enforce(restored, 0, []);

        (restored.SegmentCount, restored.Pending, counters.GetDropped(DropReason.Expired)).Should().Be((1, 2, 0));
    }

    private GrowlyticsOptions NewLimitsOptions(long maxBytes, TimeSpan maxAge) =>
        new() { ApiKey = "k", Protocol = GrowlyticsProtocol.Batch, StorageDirectory = Directory, MaxStorageBytes = maxBytes, MaxStorageAge = maxAge, TimeProvider = Time };
}
