namespace GrowlyticsSdk.Tests.Storage;

/// <summary>Files in the storage folder that are not the SDK's do not count against its queue.</summary>
public sealed class StorageForeignFileTests : StorageTestBase
{
    [Fact]
    public async Task ForeignFileLargerThanBound_MessagesThatFitTheQueueAreNotDropped()
    {
        System.IO.Directory.CreateDirectory(Directory);
        File.WriteAllBytes(Path.Combine(Directory, "app.db"), new byte[80 * 1024]);
        var collector = new StorageCollector();
        await using var client = NewClient(collector, o => o.MaxStorageBytes = 64 * 1024);
        for (var round = 0; round < 4; round++)
        {
            PushNumbers(client, round * 25, 25);
            await client.FlushAsync();
        }

        client.Statistics.Dropped.Should().Be(0, "100 small messages (about 24 KB stored) fit in a 64 KB queue, whatever else the folder holds");
        client.Statistics.Pending.Should().Be(100, "the service is down: they wait on disk");
    }
}
