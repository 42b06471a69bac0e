using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Reflection;
using System.Text;
using System.Text.Json;
using GrowlyticsSdk.TestSupport;

namespace GrowlyticsSdk.Tests.Storage;

/// <summary>
/// A folder 0.1.0 left (built byte by byte as its code wrote it: c46adb7's RecordFormat, AckFile, SessionStore and
/// DurableQueue), opened by this version: what was not acknowledged is delivered once with its message ids, the session
/// continues, the folder and lock file become owner-only; a run that stores new messages beside the 0.1.0 segments (a
/// folder of mixed segment versions) is read again by this version, and nothing is sent twice.
/// </summary>
public sealed class Upgrade010FolderTests : StorageTestBase
{
    private const string AnonymousId = "2BpXhe68f7VgJynbRenj0A";
    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(100);

    [Fact]
    public async Task Start_On010Folder_DeliversEachMessageOnce_ContinuesTheSession_MixedVersionsReadAgain()
    {
        var now = Time.GetUtcNow().ToUnixTimeMilliseconds();
        var offsets = Write010Segment(1, now - 5_000, [0, 1, 2, 3]);
        Write010Segment(2, now - 4_000, [4, 5]);
        Write010Ack(1, offsets[1]);
        File.WriteAllText(Path.Combine(Directory, "session.json"), "{\"version\":1,\"anonymousId\":\"" + AnonymousId + "\",\"userId\":\"u-legacy\"}", new UTF8Encoding(false));
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(Path.Combine(Directory, "session.json"), UnixFileMode.UserRead | UnixFileMode.UserWrite);
            File.SetUnixFileMode(Path.Combine(Directory, "queue.lock"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
            File.SetUnixFileMode(Directory, (UnixFileMode)0b111_101_101);
        }

        var collector = new MessageCollector();
        var segments010 = SegmentFiles().ToDictionary(f => f, File.ReadAllBytes);

        // First start: the service is down; new calls are stored beside the 0.1.0 segments, in this version's format.
        await using (var offline = NewClient(new StorageCollector()))
        {
            offline.User.UserId.Should().Be("u-legacy", "the 0.1.0 session continues");
            offline.User.AnonymousId.Should().Be(AnonymousId);
            PushNumbers(offline, 100, 3);
            await StoredAsync(offline);
            offline.Statistics.Restored.Should().Be(5, "the records after the 0.1.0 position");
            offline.Statistics.CorruptRecords.Should().Be(0);
        }

        // Not appended to the newest 0.1.0 segment (its header says format 1, which 0.1.0 reads as its batch messages).
        foreach (var (path, bytes) in segments010)
        {
            File.ReadAllBytes(path).Should().Equal(bytes, "{0} is left as 0.1.0 wrote it", Path.GetFileName(path));
        }

        SegmentFiles().Except(segments010.Keys).Should().ContainSingle()
            .Which.Should().Match(f => GrowlyticsSdk.Storage.RecordFormat.ReadVersion(File.ReadAllBytes(f)) == GrowlyticsSdk.Storage.RecordFormat.FormatVersion);

        // The netstandard2.0 build cannot set file modes (docs/security.md).
        var setsModes = typeof(GrowlyticsClient).Assembly.GetCustomAttribute<System.Runtime.Versioning.TargetFrameworkAttribute>()?.FrameworkName.StartsWith(".NETCoreApp", StringComparison.Ordinal) == true;
        if (!OperatingSystem.IsWindows() && setsModes)
        {
            File.GetUnixFileMode(Directory).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            File.GetUnixFileMode(Path.Combine(Directory, "queue.lock")).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        // Second start: the service is up; the mixed folder is delivered.
        await using (var online = NewClient(new StorageCollector(), o => o.HttpClient = new HttpClient(collector)))
        {
            var flush = online.FlushAsync();
            await DriveUntilAsync(() => flush.IsCompleted, Step);
            online.Statistics.Restored.Should().Be(8);
            online.Statistics.Delivered.Should().Be(8);
            ShouldBeBalanced(online.Statistics);
        }

        // Third start: nothing is sent again.
        await using (var again = NewClient(new StorageCollector(), o => o.HttpClient = new HttpClient(collector)))
        {
            var flush = again.FlushAsync();
            await DriveUntilAsync(() => flush.IsCompleted, Step);
            again.Statistics.Restored.Should().Be(0);
        }

        var messages = collector.Messages.ToList();
        messages.Select(m => m.N).Should().BeEquivalentTo(new long[] { 1, 2, 3, 4, 5, 100, 101, 102 }, "each once, the acknowledged one not again");
        messages.Where(m => m.N < 100).Select(m => m.MessageId).Should().BeEquivalentTo(
            new[] { 1, 2, 3, 4, 5 }.Select(MessageId), "a stored message keeps its id");
        messages.Should().OnlyContain(m => m.AnonymousId == AnonymousId && m.UserId == "u-legacy");
    }

    private static string MessageId(int n) => "3956cca4-4c5c-b31c-0000-" + n.ToString("D12", System.Globalization.CultureInfo.InvariantCulture);

    // 0.1.0's segment: "GLQS", u16 version 1, 2 reserved bytes; each record a 0x47 0xA5 marker, i32 payload length, i64
    // accepted time (Unix ms), u32 CRC-32 over length, time and payload, then the payload: the batch protocol's message.
    // Returns the records' offsets. Made as 0.1.0 made its folder: Directory.CreateDirectory, the lock file OpenOrCreate.
    private List<int> Write010Segment(long id, long acceptedMs, int[] numbers)
    {
        System.IO.Directory.CreateDirectory(Directory);
        File.WriteAllBytes(Path.Combine(Directory, "queue.lock"), []);
        using var file = new MemoryStream();
        file.Write("GLQS"u8);
        file.Write([1, 0, 0, 0]);
        var offsets = new List<int>();
        foreach (var n in numbers)
        {
            var payload = Encoding.UTF8.GetBytes(
                "{\"type\":\"update\",\"messageId\":\"" + MessageId(n) + "\",\"eventTimestamp\":" + acceptedMs + ","
                + "\"anonymousId\":\"" + AnonymousId + "\",\"userId\":\"u-legacy\","
                + "\"attributes\":[{\"name\":\"n\",\"type\":\"number\",\"value\":" + n + "}]}");
            var record = new byte[18 + payload.Length];
            record[0] = 0x47;
            record[1] = 0xA5;
            BinaryPrimitives.WriteInt32LittleEndian(record.AsSpan(2), payload.Length);
            BinaryPrimitives.WriteInt64LittleEndian(record.AsSpan(6), acceptedMs);
            payload.CopyTo(record.AsSpan(18));
            BinaryPrimitives.WriteUInt32LittleEndian(record.AsSpan(14), Crc32([.. record.AsSpan(2, 12).ToArray(), .. payload]));
            offsets.Add((int)file.Length);
            file.Write(record);
        }

        var path = Path.Combine(Directory, "queue-" + id.ToString("D16", System.Globalization.CultureInfo.InvariantCulture) + ".seg");
        File.WriteAllBytes(path, file.ToArray());
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        return offsets;
    }

    // 0.1.0's queue.ack: "GLQA", i32 version 1, i64 segment, i64 offset, u32 CRC-32 over the 24 bytes before it.
    private void Write010Ack(long segmentId, long offset)
    {
        var bytes = new byte[28];
        "GLQA"u8.CopyTo(bytes);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(4), 1);
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(8), segmentId);
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(16), offset);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(24), Crc32(bytes[..24]));
        File.WriteAllBytes(Path.Combine(Directory, "queue.ack"), bytes);
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

    /// <summary>Accepts every batch and records each message's id, ids and number (any message shape, logouts included).</summary>
    private sealed class MessageCollector : HttpMessageHandler
    {
        public ConcurrentQueue<(string MessageId, string? AnonymousId, string? UserId, long? N)> Messages { get; } = new();

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var body = await request.Content!.ReadAsByteArrayAsync(cancellationToken);
            foreach (var message in WireBody.BatchMessages(body))
            {
                var attributes = WireBody.Attributes(message);
                Messages.Enqueue((
                    message.GetProperty("messageId").GetString()!,
                    message.TryGetProperty("anonymousId", out var a) && a.ValueKind == JsonValueKind.String ? a.GetString() : null,
                    message.TryGetProperty("userId", out var u) && u.ValueKind == JsonValueKind.String ? u.GetString() : null,
                    attributes.TryGetValue("n", out var n) ? long.Parse(n, System.Globalization.CultureInfo.InvariantCulture) : null));
            }

            return new HttpResponseMessage(HttpStatusCode.OK);
        }
    }
}
