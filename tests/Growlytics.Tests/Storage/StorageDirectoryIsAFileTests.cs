namespace GrowlyticsSdk.Tests.Storage;

/// <summary>
/// A <see cref="GrowlyticsOptions.StorageDirectory"/> that names a file at start: the client runs from memory for good,
/// and its log says why, without claiming another client holds the folder or that anything is kept there.
/// </summary>
public sealed class StorageDirectoryIsAFileTests : StorageTestBase
{
    [Fact]
    public async Task SessionChangesAndShutdown_FolderIsAFile_LogNeitherAHolderNorAStoredQueue()
    {
        File.WriteAllText(Directory, "not a folder");
        var logs = new RecordingLoggerFactory();
        var client = NewClient(new StorageCollector { Up = false }, o =>
        {
            o.LoggerFactory = logs;
            o.ShutdownTimeout = TimeSpan.FromSeconds(1);
        });

        client.User.Identify("u-a");
        client.User.Logout();
        await ShutDownDrivingAsync(client, TimeSpan.FromMilliseconds(100));

        logs.Entries.Should().Contain(e => e.EventId == 4011, "the start says the path names a file");
        logs.Entries.Should().NotContain(e => e.EventId == 3005, "no other client holds a folder: there is none");
        logs.Entries.Where(e => e.EventId == 2015).Should().ContainSingle()
            .Which.Message.Should().NotContain("storage folder");
        client.Statistics.DroppedByReason.GetValueOrDefault(DropReason.Shutdown).Should().Be(2, "memory held the login and the logout");
    }

    [Fact]
    public async Task Start_AFileWhereAFolderOnThePathShouldBe_LogsThatAFileIsInTheWay()
    {
        File.WriteAllText(Directory, "not a folder");
        var logs = new RecordingLoggerFactory();
        var client = NewClient(new StorageCollector { Up = false }, o =>
        {
            o.LoggerFactory = logs;
            o.ShutdownTimeout = TimeSpan.FromSeconds(1);
            o.StorageDirectory = Path.Combine(Directory, "queue");
        });

        await ShutDownDrivingAsync(client, TimeSpan.FromMilliseconds(100));

        logs.Entries.Should().Contain(e => e.EventId == 4011, "a file stands where a folder of the path should be");
        logs.Entries.Should().NotContain(e => e.EventId == 4002, "not an unexplained DirectoryNotFoundException");
    }
}
