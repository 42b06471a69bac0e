namespace GrowlyticsSdk.Tests.Storage;

/// <summary>
/// An opt-out at once after the client is created: the storage writer, starting on the folder, deletes the temporary
/// copies a killed process left, and can take the one the opt-out is writing; the choice is written again, so
/// <c>privacy.json</c> is there when <see cref="GrowlyticsClient.OptOut"/> returns (before, 2 of 200 tries had none).
/// </summary>
public sealed class PrivacyWriteAtStartTests : StorageTestBase
{
    [Fact]
    public async Task OptOutAsTheStorageWriterStarts_TheChoiceIsSaved()
    {
        var missing = 0;
        for (var i = 0; i < 200; i++)
        {
            var folder = Path.Combine(Directory, "start-" + i);
            var client = NewClient(new StorageCollector { Up = false }, o => o.StorageDirectory = folder);
            client.OptOut();
            if (!File.Exists(Path.Combine(folder, "privacy.json")))
            {
                missing++;
            }

            var shutdown = client.ShutdownAsync();
            await DriveUntilAsync(() => shutdown.IsCompleted, TimeSpan.FromMilliseconds(200));
        }

        missing.Should().Be(0, "the opt-out's choice is on disk when OptOut returns");
    }
}
