using System.Text;
using GrowlyticsSdk.Diagnostics;
using GrowlyticsSdk.Messages;
using GrowlyticsSdk.Serialization;
using GrowlyticsSdk.Storage;
using GrowlyticsSdk.Tests.TestSupport;
using GrowlyticsSdk.Validation;
using Microsoft.Extensions.Logging.Abstractions;

namespace GrowlyticsSdk.Tests.Storage;

/// <summary>
/// Storage counts calls, not records: a stored message that settles several calls (a REST login carrying held pushes)
/// is pending, restored, delivered and dropped by all of them, so <c>Enqueued = Delivered + Dropped + Pending</c> holds.
/// </summary>
public sealed class StoredCallsTests : StorageTestBase
{
    private static readonly TimeSpan Step = TimeSpan.FromSeconds(1);

    [Fact]
    public async Task Restart_WithAMessageOfThreeCallsStored_CountsThreeCallsPendingRestoredAndDelivered()
    {
        var collector = new StorageCollector();
        await using (var first = NewClient(collector))
        {
            first.Enqueue(Message(n: 7, calls: 3));
            PushNumbers(first, 0, 2);
            await first.FlushAsync();

            var stored = first.Statistics;
            (stored.Enqueued, stored.Pending, stored.Dropped).Should().Be((5, 5, 0), "the stored message is pending by its three calls");
            await first.ShutdownAsync();
            ShouldBeBalanced(first.Statistics);
        }

        collector.Up = true;
        var second = NewClient(collector);
        await DriveUntilAsync(() => collector.Messages.Count >= 3, Step);
        await DriveUntilAsync(() => second.Statistics.Pending == 0, Step);
        await second.ShutdownAsync();

        collector.Numbers.Should().BeEquivalentTo([7L, 0L, 1L]);
        var statistics = second.Statistics;
        (statistics.Restored, statistics.Enqueued, statistics.Delivered, statistics.Dropped, statistics.Pending).Should().Be((5, 5, 5, 0, 0));
        ShouldBeBalanced(statistics);
    }

    [Fact]
    public async Task SizeLimit_DroppingAMessageOfThreeCalls_CountsThreeDropped()
    {
        var collector = new StorageCollector();
        GrowlyticsStatistics before;
        long reported = 0;
        await using (var first = NewClient(collector, o => o.MaxStorageBytes = 64 * 1024))
        {
            first.MessageDropped += (_, e) => Interlocked.Add(ref reported, e.Reason == DropReason.StorageFull ? e.Count : 0);
            first.Enqueue(Message(n: -1, calls: 3));
            await first.FlushAsync();
            first.Statistics.Pending.Should().Be(3);
            for (var i = 0; i < 20; i++)
            {
                PushNumbers(first, i * 100, 100);
                await first.FlushAsync();
            }

            await first.ShutdownAsync();
            before = first.Statistics;
            ShouldBeBalanced(before);
        }

        before.Enqueued.Should().Be(2003);
        (before.Pending + before.DroppedByReason[DropReason.StorageFull]).Should().Be(2003, "the dropped message counts its three calls");
        await DeliveryHarness.WaitUntilAsync(() => Interlocked.Read(ref reported) == before.DroppedByReason[DropReason.StorageFull]);
        before.DroppedByReason[DropReason.StorageFull].Should().BePositive("the bound dropped stored records, and MessageDropped reported them");

        collector.Up = true;
        var second = NewClient(collector, o => o.MaxStorageBytes = 64 * 1024);
        await second.ShutdownAsync();

        second.Statistics.Restored.Should().Be(before.Pending);

        collector.Numbers.Should().NotContain(-1, "the oldest message was dropped to keep the limit");
        collector.Numbers.Should().HaveCount((int)before.Pending, "every kept message settles one call");
        ShouldBeBalanced(second.Statistics);
    }

    [Fact]
    public async Task DeleteLocalData_WithAMessageOfThreeCallsStored_CountsThreeDropped()
    {
        await using var client = NewClient(new StorageCollector());
        client.Enqueue(Message(n: 7, calls: 3));
        await client.FlushAsync();
        client.Statistics.Pending.Should().Be(3);

        await client.DeleteLocalDataAsync();
        await DriveUntilAsync(() => client.Statistics.Pending == 0, Step);

        (client.Statistics.Enqueued, client.Statistics.Dropped, client.Statistics.Pending).Should().Be((3, 3, 0));
        ShouldBeBalanced(client.Statistics);
    }

    [Fact]
    public void SegmentLog_RecordsOfSeveralCalls_CountsCallsThroughAppendReadSettleAndRestart()
    {
        System.IO.Directory.CreateDirectory(Directory);
        var records = new List<StoredRecord>();
        using (var log = new SegmentLog(Directory, 64 * 1024, [], 0))
        {
            log.Append([Record(1, calls: 3, acceptedMs: 1_000), Record(2, calls: 1, acceptedMs: 2_000), Record(3, calls: 2, acceptedMs: 3_000)]);
            (log.Pending, log.PendingCalls).Should().Be((3, 6));

            log.Read(10, 0, records, out _);
            records.Select(r => r.Calls).Should().Equal(3, 1, 2);
            log.Settle(records[1]);
            (log.Pending, log.PendingCalls).Should().Be((2, 5));
        }

        var loaded = SegmentLoader.Load(Directory, long.MaxValue);
        (loaded.Segments.Sum(s => s.Pending), loaded.Segments.Sum(s => s.PendingCalls)).Should().Be((3, 6), "without a saved position a restart reads every record again");
        using var restarted = new SegmentLog(Directory, 64 * 1024, loaded.Segments, loaded.MaxId);
        restarted.PendingCalls.Should().Be(6);

        var again = new List<StoredRecord>();
        restarted.Read(10, expiredBeforeMs: 1_500, again, out var expired);
        expired.Should().Be(3, "the expired record settles three calls");
        again.Select(r => r.Calls).Should().Equal(1, 2);
        restarted.PendingCalls.Should().Be(3);
    }

    [Fact]
    public void StorageLimits_DroppingARecordOfThreeCalls_CountsThreeCalls()
    {
        System.IO.Directory.CreateDirectory(Directory);
        var counters = new DeliveryCounters();
        var limits = new StorageLimits(new GrowlyticsOptions { ApiKey = "test-key", MaxStorageBytes = 64 * 1024 }, counters, NullLogger.Instance);
        using var log = new SegmentLog(Directory, 60, [], 0);
        log.Append([Record(1, calls: 3, acceptedMs: 1_000), Record(2, calls: 1, acceptedMs: 2_000)]);
        log.SegmentCount.Should().Be(2);

        // More incoming bytes than the whole budget: every segment goes.
        limits.Enforce(log, incoming: 64 * 1024, []);

        counters.GetDropped(DropReason.StorageFull).Should().Be(4);
        (log.Pending, log.PendingCalls).Should().Be((0, 0));
    }

    [Fact]
    public void SegmentLog_DropOldestWithARecordBeingRead_ReturnsItsCallsForTheReaderToCount()
    {
        System.IO.Directory.CreateDirectory(Directory);
        using var log = new SegmentLog(Directory, 60, [], 0);
        log.Append([Record(1, calls: 3, acceptedMs: 1_000), Record(2, calls: 1, acceptedMs: 2_000)]);
        var records = new List<StoredRecord>();
        log.Read(1, 0, records, out _);

        var settled = new List<StoredRecord>();
        var dropped = log.DropOldest(settled);

        settled.Should().ContainSingle().Which.Calls.Should().Be(3);
        dropped.Should().Be(3, "the calls of the records it held, those being read included");
        (log.Pending, log.PendingCalls).Should().Be((1, 1));
        log.DropAll(settled).Should().Be(1);
        log.PendingCalls.Should().Be(0);
    }

    [Theory]
    [InlineData("""{"type":"login","messageId":"a","calls":3,"userId":"u","attributes":[]}""", 3)]
    [InlineData("""{"type":"update","messageId":"a","anonymousId":"x","attributes":[{"name":"calls","type":"number","value":9}]}""", 1)]
    [InlineData("""{"type":"update","messageId":"a","nested":{"calls":5},"list":[1,{"calls":5}],"calls":2}""", 2)]
    [InlineData("""{"type":"update","messageId":"a","calls":0}""", 1)]
    [InlineData("""{"type":"update","messageId":"a","calls":"3"}""", 1)]
    [InlineData("""{"type":"update","messageId":"a","calls":3.5}""", 1)]
    [InlineData("""{"type":"update","messageId":"a","calls":""", 1)]
    [InlineData("""[3]""", 1)]
    [InlineData("""not json""", 1)]
    [InlineData("", 1)]
    public void ReadCalls_ReadsTheTopLevelCountOrOne(string payload, int calls) =>
        StoredMessages.ReadCalls(Encoding.UTF8.GetBytes(payload)).Should().Be(calls);

    [Theory]
    [InlineData("""{"type":"update"}""")]
    [InlineData("""{"type":"update","messageId":null}""")]
    [InlineData("""{"type":"update","messageId":"a","attributes":[{"name":null,"type":"string","value":"v"}]}""")]
    [InlineData("""{"type":"update","messageId":"a","attributes":[{"type":"string","value":"v"}]}""")]
    [InlineData("""{"type":"update","messageId":"a","attributes":[{"name":"n","type":"string","value":null}]}""")]
    [InlineData("""{"type":"update","messageId":"a","attributes":[{"name":"n","type":"string"}]}""")]
    [InlineData("""{"type":"update","messageId":"a","attributes":[{"name":"n","type":"date","value":null}]}""")]
    [InlineData("""{"type":"update","messageId":"a","attributes":[{"name":"n","type":"number","value":null}]}""")]
    [InlineData("""{"type":"update","messageId":"a","attributes":[{"name":"n","type":"number","value":"12"}]}""")]
    [InlineData("""{"type":"update","messageId":"a","attributes":[{"name":"n","type":"boolean","value":null}]}""")]
    public void TryRead_ARecordMissingWhatTheSdkAlwaysWrites_IsUnreadable(string payload) =>
        StoredMessages.TryRead(Encoding.UTF8.GetBytes(payload), 0).Should().BeNull("it is counted as corrupted, not sent with a null or left to fail the delivery loop");

    [Fact]
    public void TryRead_ARecordWithEveryKindOfValue_IsRead()
    {
        var payload = Encoding.UTF8.GetBytes("""{"type":"login","messageId":"m-1","eventTimestamp":5,"anonymousId":null,"userId":"u","attributes":[{"name":"s","type":"string","value":"v"},{"name":"n","type":"number","value":1.50},{"name":"b","type":"boolean","value":true},{"name":"d","type":"date","value":"2025-01-02 03:04:05"}]}""");

        var message = StoredMessages.TryRead(payload, 0)!;

        message.RestoredMessageId.Should().Be("m-1");
        message.Attributes.Select(a => (a.Name, a.Kind)).Should().Equal(("s", AttributeKind.String), ("n", AttributeKind.Number), ("b", AttributeKind.Boolean), ("d", AttributeKind.Date));
        message.Attributes[0].Value.Should().Be("v");
        message.Attributes[1].Value.ToString().Should().Be("1.50");
        message.Attributes[2].Value.Should().Be(true);
        message.Attributes[3].Value.Should().Be(new DateTime(2025, 1, 2, 3, 4, 5, DateTimeKind.Utc));
    }

    [Fact]
    public void TryRead_RecordsOfOneUser_ShareTheirIdsAndNames_AndEachKeepsItsOwnText()
    {
        static byte[] Record(string anonymousId, string userId, string firstName, string value) => Encoding.UTF8.GetBytes(
            "{\"type\":\"update\",\"messageId\":\"m\",\"anonymousId\":\"" + anonymousId + "\",\"userId\":\"" + userId
            + "\",\"attributes\":[{\"name\":\"" + firstName + "\",\"type\":\"string\",\"value\":\"" + value
            + "\"},{\"name\":\"plan\",\"type\":\"string\",\"value\":\"" + value + "\"}]}");

        var recent = new string?[StoredMessages.RecentSlots];
        var first = StoredMessages.TryRead(Record("anon-1", "user-1", "city", "a"), 0, recent)!;
        var second = StoredMessages.TryRead(Record("anon-1", "user-1", "city", "b"), 0, recent)!;

        // The second record's ids and names are the first's strings, not copies; the values are its own.
        second.AnonymousId.Should().BeSameAs(first.AnonymousId);
        second.UserId.Should().BeSameAs(first.UserId);
        second.Attributes[0].Name.Should().BeSameAs(first.Attributes[0].Name);
        second.Attributes[1].Name.Should().BeSameAs(first.Attributes[1].Name);
        second.Attributes.Select(a => a.Value).Should().Equal("b", "b");

        // Different text in the same place is read as it is (escapes included), never taken from the one before.
        var third = StoredMessages.TryRead(Record("anon-2", "user-1", "c\\u0069ty2", "c"), 0, recent)!;
        third.AnonymousId.Should().Be("anon-2");
        third.UserId.Should().BeSameAs(first.UserId);
        third.Attributes.Select(a => a.Name).Should().Equal("city2", "plan");
        var fourth = StoredMessages.TryRead(Record("anon-1", "user-2", "city", "d"), 0, recent)!;

        // Without an array of its own, a reader makes its own copies.
        StoredMessages.TryRead(Record("anon-1", "user-1", "city", "e"), 0)!.UserId.Should().NotBeSameAs(first.UserId);
        (fourth.AnonymousId, fourth.UserId, fourth.Attributes[0].Name).Should().Be(("anon-1", "user-2", "city"));
    }

    [Fact]
    public void ReadCalls_OfASerializedMessage_MatchesTheMessage()
    {
        var buffer = new ByteBufferWriter(256);
        foreach (var calls in new[] { 1, 3, 120 })
        {
            var payload = StoredMessages.Serialize(Message(n: 1, calls: calls), buffer);
            StoredMessages.ReadCalls(payload).Should().Be(calls);
            StoredMessages.TryRead(payload, 0)!.Calls.Should().Be(calls);
        }
    }

    private UserMessage Message(long n, int calls) =>
        new(MessageType.Login, MessageIds.Next(), Time.GetUtcNow(), "anon-1", "user-1", [new UserAttribute("n", new NumberText(n.ToString(System.Globalization.CultureInfo.InvariantCulture)))], calls);

    private (byte[] Payload, long AcceptedMs, int Calls) Record(long n, int calls, long acceptedMs) =>
        (StoredMessages.Serialize(Message(n, calls), new ByteBufferWriter(256)), acceptedMs, calls);
}
