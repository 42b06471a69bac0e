using GrowlyticsSdk.Sessions;
using static GrowlyticsSdk.Tests.TestSupport.Caller.CallerValidation;

namespace GrowlyticsSdk.Tests.Storage;

/// <summary>
/// A <c>session.json</c> that starts with a UTF-8 byte order mark (the SDK writes none; an editor, a backup or restore
/// tool, or Windows PowerShell's <c>Set-Content -Encoding UTF8</c> adds one) holds the session as the SDK wrote it: the
/// next start continues it, nothing counted damaged. The JSON reader refuses the mark on its own (RFC 8259 section 8.1
/// lets readers ignore it), so such a file was taken for damage: a fresh session, the user logged out, event 3001 and one
/// <see cref="GrowlyticsStatistics.CorruptRecords"/>.
/// </summary>
public sealed class SessionFileByteOrderMarkTests : StorageTestBase
{
    private static readonly byte[] ByteOrderMark = [0xEF, 0xBB, 0xBF];

    private string SessionPath => Path.Combine(Directory, SessionStore.FileName);

    [Fact]
    public async Task Start_WithTheSessionFileSavedWithAByteOrderMark_ContinuesTheUser_NothingCountedDamaged()
    {
        string anonymousId;
        await using (var first = NewClient(new StorageCollector()))
        {
            anonymousId = first.User.AnonymousId;
            first.User.Identify("user-1");
            await first.FlushSessionFileAsync();
        }

        PrependByteOrderMark();
        var logs = new RecordingLoggerFactory();
        await using var next = NewClient(new StorageCollector(), o => o.LoggerFactory = logs);

        next.User.UserId.Should().Be("user-1", "the file holds the session as the SDK wrote it, behind the mark");
        next.User.AnonymousId.Should().Be(anonymousId);
        next.Statistics.CorruptRecords.Should().Be(0);
        logs.Entries.Select(e => e.EventId).Should().NotContain(3001);
    }

    [Fact]
    public async Task Start_WithARestSessionFileSavedWithAByteOrderMark_RestoresTheHeldPushes()
    {
        await using (var first = NewClient(new StorageCollector(), static o => o.Protocol = GrowlyticsProtocol.Rest))
        {
            first.User.Push(One("city", "Pune"));
            first.User.Push(One("plan", "pro"));
        }

        PrependByteOrderMark();
        var logs = new RecordingLoggerFactory();
        await using var next = NewClient(new StorageCollector(), o =>
        {
            o.Protocol = GrowlyticsProtocol.Rest;
            o.LoggerFactory = logs;
        });

        (next.Statistics.Restored, next.Statistics.Pending, next.Statistics.CorruptRecords).Should().Be((2, 2, 0));
        logs.Entries.Select(e => e.EventId).Should().NotContain([3001, 6004]);
    }

    [Theory]
    [InlineData(new byte[] { 0xEF, 0xBB, 0xBF })]
    [InlineData(new byte[] { 0xEF, 0xBB, 0xBF, 0x0D, 0x0A })]
    [InlineData(new byte[] { 0x20, 0x0A, 0x09 })]
    public async Task Start_WithAFileOfAMarkOrWhitespaceOnly_StartsANewSession_NothingCountedDamaged(byte[] content)
    {
        // What a tool that empties a file leaves (PowerShell's Set-Content -Encoding UTF8 with an empty value writes a mark
        // and a line break): no session, as an empty file holds none, not damage.
        System.IO.Directory.CreateDirectory(Directory);
        await File.WriteAllBytesAsync(SessionPath, content);
        var logs = new RecordingLoggerFactory();

        await using var client = NewClient(new StorageCollector(), o => o.LoggerFactory = logs);

        client.User.UserId.Should().BeNull();
        client.Statistics.CorruptRecords.Should().Be(0);
        logs.Entries.Select(e => e.EventId).Should().NotContain(3001);
    }

    [Fact]
    public async Task Start_WithAMarkAndSomethingThatIsNoSession_StartsANewSession_CountsAndLogsTheDamage()
    {
        System.IO.Directory.CreateDirectory(Directory);
        await File.WriteAllBytesAsync(SessionPath, [.. ByteOrderMark, (byte)'\n', (byte)'{']);
        var logs = new RecordingLoggerFactory();

        await using var client = NewClient(new StorageCollector(), o => o.LoggerFactory = logs);

        client.User.UserId.Should().BeNull();
        client.Statistics.CorruptRecords.Should().Be(1);
        logs.Entries.Select(e => e.EventId).Should().Contain(3001);
    }

    private void PrependByteOrderMark()
    {
        var written = File.ReadAllBytes(SessionPath);
        written.AsSpan(0, 3).SequenceEqual(ByteOrderMark).Should().BeFalse("the SDK writes no mark");
        File.WriteAllBytes(SessionPath, [.. ByteOrderMark, .. written]);
    }
}
