using GrowlyticsSdk.Storage;
using GrowlyticsSdk.Tests.Storage;

namespace GrowlyticsSdk.Tests.Privacy;

/// <summary>
/// A <c>privacy.json</c> that starts with a UTF-8 byte order mark (the SDK writes none; an editor, a backup or restore
/// tool, or Windows PowerShell's <c>Set-Content -Encoding UTF8</c> adds one) holds the choice as written: the JSON reader
/// refuses the mark on its own, so every such file was taken for an unreadable choice (event 7005), and a user who had
/// opted in started opted out, nothing recorded until the app called <c>OptIn()</c> again.
/// </summary>
public sealed class PrivacyFileByteOrderMarkTests : StorageTestBase
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Start_WithThePrivacyFileSavedWithAByteOrderMark_KeepsTheChoice(bool optedOut)
    {
        await using (var first = NewClient(new StorageCollector()))
        {
            // Opted out, then back in for the choice to opt in: the file says so either way.
            first.OptOut();
            if (!optedOut)
            {
                first.OptIn();
            }
        }

        var path = Path.Combine(Directory, PrivacyFile.FileName);
        File.WriteAllBytes(path, [0xEF, 0xBB, 0xBF, .. File.ReadAllBytes(path)]);
        var logs = new RecordingLoggerFactory();

        await using var next = NewClient(new StorageCollector(), o => o.LoggerFactory = logs);

        next.IsOptedOut.Should().Be(optedOut);
        logs.Entries.Select(e => e.EventId).Should().NotContain(7005);
    }

    [Theory]
    [InlineData(new byte[] { 0xEF, 0xBB, 0xBF })]
    [InlineData(new byte[] { 0xEF, 0xBB, 0xBF, 0x0D, 0x0A })]
    [InlineData(new byte[0])]
    public async Task Start_WithAFileOfAMarkOrWhitespaceOnly_StartsOptedOut_AsWithAnEmptyFile(byte[] content)
    {
        // No choice in it: unreadable, the safe side (an empty file and one a tool emptied read alike).
        System.IO.Directory.CreateDirectory(Directory);
        await File.WriteAllBytesAsync(Path.Combine(Directory, PrivacyFile.FileName), content);
        var logs = new RecordingLoggerFactory();

        await using var client = NewClient(new StorageCollector(), o => o.LoggerFactory = logs);

        client.IsOptedOut.Should().BeTrue();
        logs.Entries.Select(e => e.EventId).Should().Contain(7005);
    }
}
