using GrowlyticsSdk.Tests.TestSupport;

namespace GrowlyticsSdk.Tests.Configuration;

// Changes XDG_DATA_HOME, which the runtime reads for the per-user data folder on Linux and macOS.
[Collection(ProcessStateCollection.Name)]
public sealed class DefaultStorageDirectoryCreationTests : IDisposable
{
    private readonly string _dataHome = Path.Combine(Path.GetTempPath(), "growlytics-datahome-" + Guid.NewGuid().ToString("N"));
    private readonly string? _previous = Environment.GetEnvironmentVariable("XDG_DATA_HOME");

    public void Dispose()
    {
        Environment.SetEnvironmentVariable("XDG_DATA_HOME", _previous);
        if (System.IO.Directory.Exists(_dataHome))
        {
            System.IO.Directory.Delete(_dataHome, recursive: true);
        }
    }

    [Fact]
    public void GetDefaultStorageDirectory_DataFolderMissing_ReturnsThePathWithoutCreatingAnything()
    {
        if (OperatingSystem.IsWindows())
        {
            return; // The per-user data folder comes from the shell there, not from an environment variable.
        }

        // A data folder the process could not create (a read-only home) failed the app's start: nothing is made here.
        Environment.SetEnvironmentVariable("XDG_DATA_HOME", _dataHome);

        var folder = GrowlyticsOptions.GetDefaultStorageDirectory("MyApp");

        folder.Should().Be(Path.Combine(_dataHome, "MyApp", "Growlytics"));
        System.IO.Directory.Exists(_dataHome).Should().BeFalse();
    }

    [Fact]
    public async Task GetDefaultStorageDirectory_ItsFolderCannotBeMade_TheClientStartsAndDelivers()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        // A file where the data folder should be: the folder cannot be made, as in a home the user cannot write.
        File.WriteAllText(_dataHome, "not a folder");
        try
        {
            Environment.SetEnvironmentVariable("XDG_DATA_HOME", _dataHome);
            using var handler = new HeaderRecordingHandler();
            using var http = new HttpClient(handler);

            await using (var client = new GrowlyticsClient(new GrowlyticsOptions
            {
                ApiKey = "gk_test",
                Endpoint = new Uri("http://127.0.0.1:9/"),
                HttpClient = http,
                FlushOnProcessExit = false,
                StorageDirectory = GrowlyticsOptions.GetDefaultStorageDirectory("MyApp"),
            }))
            {
                client.Customers.Update("customer-1", new Dictionary<string, object?> { ["plan"] = "pro" });
                await client.FlushAsync();
                client.Statistics.Delivered.Should().Be(1);
            }

            handler.Requests.Should().ContainSingle();
        }
        finally
        {
            File.Delete(_dataHome);
        }
    }
}
