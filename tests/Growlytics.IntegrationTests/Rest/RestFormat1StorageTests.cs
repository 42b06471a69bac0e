using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Text;
using static GrowlyticsSdk.IntegrationTests.TestSupport;

namespace GrowlyticsSdk.IntegrationTests.Rest;

/// <summary>
/// A storage folder written by 0.1.0 (segment format 1, whose record payloads are the batch protocol's message objects)
/// read by a client that speaks REST: what has a REST form (the login, as an upsert) is sent; the anonymous update and the
/// logout have none and are counted <see cref="DropReason.NotSupported"/>. The segment is built byte by byte from the
/// documented layout, independently of the SDK's own writer.
/// </summary>
public sealed class RestFormat1StorageTests
{
    [Fact]
    public async Task Start_OnA010Folder_SendsTheLoginAsAnUpsertAndCountsTheAnonymousUpdateAndLogoutAsNotSupported()
    {
        using var folder = new TempFolder();
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        WriteFormat1Segment(folder.Path, now - 3_000,
        [
            "{\"type\":\"update\",\"messageId\":\"3956cca4-4c5c-b31c-0000-000000000001\",\"eventTimestamp\":" + (now - 3_000) + ","
                + "\"anonymousId\":\"2BpXhe68f7VgJynbRenj0A\",\"userId\":null,"
                + "\"attributes\":[{\"name\":\"city\",\"type\":\"string\",\"value\":\"San Francisco\"}]}",
            "{\"type\":\"login\",\"messageId\":\"3956cca4-4c5c-b31c-0000-000000000002\",\"eventTimestamp\":" + (now - 2_000) + ","
                + "\"anonymousId\":\"2BpXhe68f7VgJynbRenj0A\",\"userId\":\"u-legacy\","
                + "\"attributes\":[{\"name\":\"name\",\"type\":\"string\",\"value\":\"John Wick\"},"
                + "{\"name\":\"totalPurchaseTillNow\",\"type\":\"number\",\"value\":123456789012345678901234567890},"
                + "{\"name\":\"vip\",\"type\":\"boolean\",\"value\":true},"
                + "{\"name\":\"lastOrderDate\",\"type\":\"date\",\"value\":\"2025-11-28 14:05:09\"}]}",
            "{\"type\":\"logout\",\"messageId\":\"3956cca4-4c5c-b31c-0000-000000000003\",\"eventTimestamp\":" + (now - 1_000) + ","
                + "\"anonymousId\":\"2BpXhe68f7VgJynbRenj0A\",\"userId\":\"u-legacy\"}",
        ]);
        await using var collector = await RestCollector.StartAsync();
        var options = new GrowlyticsOptions { ApiKey = RestCollector.ApiKey, Endpoint = collector.Endpoint, StorageDirectory = folder.Path };
        var dropped = new ConcurrentQueue<MessageDroppedEventArgs>();

        await using (var client = new GrowlyticsClient(options))
        {
            client.MessageDropped += (_, e) => dropped.Enqueue(e);
            await EventuallyAsync(() => client.Statistics is { Pending: 0, Restored: 3 }, "the stored messages are settled");

            var statistics = client.Statistics;
            (statistics.Restored, statistics.Enqueued, statistics.Delivered, statistics.Pending).Should().Be((3, 3, 1, 0));
            statistics.DroppedByReason[DropReason.NotSupported].Should().Be(2, "an anonymous update and a logout have no REST form");
            statistics.Dropped.Should().Be(2);
            statistics.CorruptRecords.Should().Be(0, "format 1 is read, not skipped as damage");
            statistics.Enqueued.Should().Be(statistics.Delivered + statistics.Dropped + statistics.Pending);
        }

        var upsert = collector.Requests.Should().ContainSingle().Subject;
        (upsert.Id, upsert.Status).Should().Be(("u-legacy", 200));
        upsert.Body.Should().Be(
            "{\"id\":\"u-legacy\",\"attributes\":["
            + "{\"name\":\"name\",\"type\":\"string\",\"value\":\"John Wick\"},"
            + "{\"name\":\"totalPurchaseTillNow\",\"type\":\"number\",\"value\":123456789012345678901234567890},"
            + "{\"name\":\"vip\",\"type\":\"boolean\",\"value\":true},"
            + "{\"name\":\"lastOrderDate\",\"type\":\"date\",\"value\":\"2025-11-28 14:05:09\"}]}",
            "the stored attributes go out as they were written, every digit kept");
        // The handler is added after the client started reading its folder, so it may miss drops made before that (the
        // counters above have them all); what it does see is NotSupported, never more than the two.
        dropped.Where(e => e.Reason != DropReason.NotSupported).Should().BeEmpty();
        dropped.Sum(e => e.Count).Should().BeLessThanOrEqualTo(2);

        // Settled for good: the next start finds nothing to send again.
        await using (var again = new GrowlyticsClient(options))
        {
            await FlushAsync(again);
            (again.Statistics.Restored, again.Statistics.Enqueued).Should().Be((0, 0));
        }

        collector.Requests.Should().HaveCount(1);
    }

    [Fact]
    public async Task Start_OnA010FolderWithLoginsBeyondTheRestLimits_SendsNoneOfThemAndCountsThemNotSupported()
    {
        // Valid under the batch protocol that wrote them (names up to 120 characters, up to 256 attributes, a login with no
        // attributes), but not as REST upserts: no attributes, more than 100, a name of 50 characters.
        using var folder = new TempFolder();
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        string Login(int sequence, string userId, string attributes) =>
            "{\"type\":\"login\",\"messageId\":\"3956cca4-4c5c-b31c-0000-00000000000" + sequence + "\",\"eventTimestamp\":" + (now - 2_000) + ","
            + "\"anonymousId\":\"2BpXhe68f7VgJynbRenj0A\",\"userId\":\"" + userId + "\",\"attributes\":[" + attributes + "]}";
        static string Number(string name, int value) => "{\"name\":\"" + name + "\",\"type\":\"number\",\"value\":" + value + "}";
        WriteFormat1Segment(folder.Path, now - 2_000,
        [
            Login(1, "u-empty", string.Empty),
            Login(2, "u-many", string.Join(",", Enumerable.Range(0, 101).Select(i => Number("a" + i, i)))),
            Login(3, "u-long-name", Number(new string('n', 50), 1) + "," + Number("ok", 2)),
            Login(4, "u-valid", string.Join(",", Enumerable.Range(0, 99).Select(i => Number("a" + i, i))) + "," + Number(new string('n', 49), 1)),
        ]);
        await using var collector = await RestCollector.StartAsync();
        var options = new GrowlyticsOptions { ApiKey = RestCollector.ApiKey, Endpoint = collector.Endpoint, StorageDirectory = folder.Path };

        await using (var client = new GrowlyticsClient(options))
        {
            await EventuallyAsync(() => client.Statistics is { Pending: 0, Restored: 4 }, "the stored messages are settled");

            var statistics = client.Statistics;
            (statistics.Restored, statistics.Delivered, statistics.Dropped, statistics.DroppedByReason[DropReason.NotSupported])
                .Should().Be((4, 1, 3, 3), "only the login within REST's limits has a REST form");
        }

        collector.Requests.Select(r => (r.Id, r.Status)).Should().Equal([("u-valid", 200)], "no request breaks the documented limits");
        collector.Requests[0].Attributes.Should().HaveCount(100, "100 attributes, one named with 49 characters, are within the limits");
    }

    // Segment layout (Storage/RecordFormat.cs): "GLQS", u16 format version, 2 reserved bytes; then per record a 0x47 0xA5
    // marker, i32 payload length, i64 accepted time (Unix ms), u32 CRC-32 over length, time and payload, the payload.
    private static void WriteFormat1Segment(string directory, long acceptedMs, IReadOnlyList<string> payloads)
    {
        using var file = new MemoryStream();
        file.Write("GLQS"u8);
        Span<byte> header = stackalloc byte[4];
        BinaryPrimitives.WriteUInt16LittleEndian(header, 1);
        file.Write(header);
        foreach (var text in payloads)
        {
            var payload = Encoding.UTF8.GetBytes(text);
            var record = new byte[18 + payload.Length];
            record[0] = 0x47;
            record[1] = 0xA5;
            BinaryPrimitives.WriteInt32LittleEndian(record.AsSpan(2), payload.Length);
            BinaryPrimitives.WriteInt64LittleEndian(record.AsSpan(6), acceptedMs);
            payload.CopyTo(record.AsSpan(18));
            var crc = Crc32([.. record.AsSpan(2, 12).ToArray(), .. payload]);
            BinaryPrimitives.WriteUInt32LittleEndian(record.AsSpan(14), crc);
            file.Write(record);
        }

        File.WriteAllBytes(Path.Combine(directory, "queue-0000000000000001.seg"), file.ToArray());
    }

    // CRC-32 (IEEE, reflected polynomial 0xEDB88320), bit by bit.
    private static uint Crc32(byte[] data)
    {
        var crc = 0xFFFF_FFFFu;
        foreach (var b in data)
        {
            crc ^= b;
            for (var bit = 0; bit < 8; bit++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB8_8320u : crc >> 1;
            }
        }

        return ~crc;
    }
}
