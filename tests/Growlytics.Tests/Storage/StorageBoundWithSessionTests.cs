namespace GrowlyticsSdk.Tests.Storage;

/// <summary><see cref="GrowlyticsOptions.MaxStorageBytes"/> counts every file in the folder, a large session file included.</summary>
public sealed class StorageBoundWithSessionTests : StorageTestBase
{
    private long FolderBytes() => System.IO.Directory.GetFiles(Directory).Sum(f => new FileInfo(f).Length);

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

        var files = string.Join(",", System.IO.Directory.GetFiles(Directory).Select(f => Path.GetFileName(f) + "=" + new FileInfo(f).Length));
        FolderBytes().Should().BeLessThanOrEqualTo(bound, "MaxStorageBytes counts every file in the folder: " + files);
    }
}
