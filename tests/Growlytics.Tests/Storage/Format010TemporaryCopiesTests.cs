using System.Text;
using GrowlyticsSdk.Storage;

namespace GrowlyticsSdk.Tests.Storage;

/// <summary>
/// 0.1.0 wrote <c>session.json</c> and <c>queue.ack</c> through a temporary copy named <c>session.json.tmp</c> and
/// <c>queue.ack.tmp</c> (its <c>StorageFiles.WriteAtomically</c>: <c>path + ".tmp"</c>); a 0.1.0 process killed between the
/// write and the rename left that copy, which holds the session's ids (personal data). This version looked only for its
/// own names (<c>session.json.&lt;guid&gt;.tmp</c>), so such a copy was never deleted: not at the next start, where the
/// README says a temporary copy a killed process left is deleted, nor by <c>DeleteLocalDataAsync</c>, which deletes the
/// session file.
/// </summary>
public sealed class Format010TemporaryCopiesTests : StorageTestBase
{
    private const string AnonymousId = "2BpXhe68f7VgJynbRenj0A";

    [Fact]
    public async Task Start_On010FolderWithTemporaryCopies_DeletesThem()
    {
        Write010Folder();
        var collector = new StorageCollector { Up = true };

        await using (var client = NewClient(collector))
        {
            await client.FlushAsync();

            // The shutdown waits for the session file's writes, the deletion of the copies among them.
            await client.ShutdownAsync();
            client.Statistics.CorruptRecords.Should().Be(0, "the 0.1.0 session file is read, not skipped");
        }

        FileNames().Should().NotContain(["session.json.tmp", "queue.ack.tmp"], "a temporary copy a killed process left is deleted at the next start (README, Bounds)");
    }

    [Fact]
    public async Task DeleteLocalData_On010FolderWithATemporarySessionCopy_LeavesNoUserIdOnDisk()
    {
        Write010Folder();

        await using (var client = NewClient(new StorageCollector { Up = true }))
        {
            await client.DeleteLocalDataAsync();

            // The lock file is held (and empty); every other file is read.
            var holding = System.IO.Directory.GetFiles(Directory)
                .Where(path => Path.GetFileName(path) != StorageFolder.LockFileName)
                .Where(path => File.ReadAllText(path).Contains("u-legacy", StringComparison.Ordinal))
                .Select(Path.GetFileName);
            holding.Should().BeEmpty("DeleteLocalDataAsync deletes the session file (docs/security.md): no copy of the user id stays");
        }
    }

    private string[] FileNames() => System.IO.Directory.GetFiles(Directory).Select(p => Path.GetFileName(p)!).ToArray();

    // As 0.1.0 left a folder: its lock file (empty), its session (format 1), and the temporary copies of a session write
    // and a position write that a kill interrupted before their rename (format 1 both; 0.1.0's queue.ack: GLQA, i32 version,
    // i64 segment, i64 offset, CRC-32).
    private void Write010Folder()
    {
        System.IO.Directory.CreateDirectory(Directory);
        File.WriteAllBytes(Path.Combine(Directory, "queue.lock"), []);
        File.WriteAllText(Path.Combine(Directory, "session.json"), "{\"version\":1,\"anonymousId\":\"" + AnonymousId + "\",\"userId\":null}", new UTF8Encoding(false));
        File.WriteAllText(Path.Combine(Directory, "session.json.tmp"), "{\"version\":1,\"anonymousId\":\"" + AnonymousId + "\",\"userId\":\"u-legacy\"}", new UTF8Encoding(false));
        var ack = new byte[AckFile.Size];
        "GLQA"u8.CopyTo(ack);
        ack[4] = 1;
        ack[8] = 1;
        ack[16] = 8;
        File.WriteAllBytes(Path.Combine(Directory, "queue.ack.tmp"), ack);
    }
}
