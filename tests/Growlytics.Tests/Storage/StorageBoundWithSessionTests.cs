using GrowlyticsSdk.Storage;

namespace GrowlyticsSdk.Tests.Storage;

/// <summary><see cref="GrowlyticsOptions.MaxStorageBytes"/> counts the SDK's files in the folder, a large session file included.</summary>
public sealed class StorageBoundWithSessionTests : StorageTestBase
{
    // The writer keeps working while the folder is listed: a temporary file may be gone by the time it is measured.
    private List<(string Name, long Length)> Files() =>
        System.IO.Directory.GetFiles(Directory).Select(f => new FileInfo(f)).Where(f => f.Exists).Select(f => (f.Name, StorageLimits.LengthOrZero(f))).ToList();

    [Fact]
    public async Task RestHeldSessionPlusFullQueue_FolderStaysWithinMaxStorageBytes()
    {
        const long bound = 64 * 1024;
        var collector = new StorageCollector();
        await using var client = NewClient(collector, o =>
        {
            o.Protocol = GrowlyticsProtocol.Rest;
            o.MaxStorageBytes = bound;
        });

        // An anonymous visitor's pushes are held in session.json until the login (100 names, 512-character values).
        var held = new Dictionary<string, object?>();
        for (var i = 0; i < 100; i++)
        {
            held["attr" + i] = new string('x', 512);
        }

        client.User.Push(held);

        // Stateless updates fill the stored queue while the service is down.
        for (var round = 0; round < 20; round++)
        {
            for (var i = 0; i < 100; i++)
            {
                client.Customers.Update("c" + i, new Dictionary<string, object?> { ["n"] = (round * 100) + i });
            }

            await client.FlushAsync();
        }

        var files = Files();
        files.Sum(f => f.Length).Should().BeLessThanOrEqualTo(bound, "MaxStorageBytes counts every file in the folder: " + string.Join(",", files.Select(f => f.Name + "=" + f.Length)));
    }

    [Fact]
    public void OwnFileGoneWhileTheFolderIsListed_CountsAsNothing_TheOthersStillCount()
    {
        System.IO.Directory.CreateDirectory(Directory);
        var kept = Path.Combine(Directory, "session.json");
        var renamed = Path.Combine(Directory, "session.json.0123.tmp");
        File.WriteAllBytes(kept, new byte[3000]);
        File.WriteAllBytes(renamed, new byte[5000]);

        // Both names were listed; the temporary file is renamed away before its length is read (its status not taken yet).
        var listed = new[] { new FileInfo(kept), new FileInfo(renamed) };
        File.Move(renamed, Path.Combine(Directory, "elsewhere.bin"));

        listed.Sum(StorageLimits.LengthOrZero).Should().Be(3000);
    }
}
