using static GrowlyticsSdk.IntegrationTests.TestSupport;

namespace GrowlyticsSdk.IntegrationTests.Storage;

/// <summary>
/// The folders the SDK makes on the way to a <c>StorageDirectory</c> that does not exist yet (as
/// <see cref="GrowlyticsOptions.GetDefaultStorageDirectory(string)"/> gives on a fresh account: <c>~/.local/share/&lt;app&gt;/Growlytics</c>)
/// are owner-only like the storage folder itself; folders that were there keep their mode.
/// </summary>
[Collection(EngineCollection.Name)]
public sealed class StorageFolderParentsModeTests
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    [Fact]
    public async Task Start_StorageDirectoryUnderMissingParents_EveryFolderTheSdkMakesIsOwnerOnly()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        using var folder = new TempFolder();
        File.SetUnixFileMode(folder.Path, OwnerOnly | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        var app = Path.Combine(folder.Path, "share", "MyApp");
        var directory = Path.Combine(app, "Growlytics");
        await using var collector = await FaultyCollector.StartAsync();
        var options = FastOptions(collector.Endpoint);
        options.StorageDirectory = directory;
        await using var client = new GrowlyticsClient(options);

        client.User.Push(Number(1));
        await FlushAsync(client);

        File.GetUnixFileMode(directory).Should().Be(OwnerOnly);
        File.GetUnixFileMode(app).Should().Be(OwnerOnly, "a parent folder the SDK made is owner-only too (it was 0755)");
        File.GetUnixFileMode(Path.GetDirectoryName(app)!).Should().Be(OwnerOnly, "a parent folder the SDK made is owner-only too (it was 0755)");
        File.GetUnixFileMode(folder.Path).Should().NotBe(OwnerOnly, "a folder that was there keeps its mode");
    }
}
