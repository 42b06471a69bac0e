namespace GrowlyticsSdk.Tests.Storage;

/// <summary>
/// A session file's temporary copy that a process killed while saving it left in the folder is deleted by the client
/// that takes the folder over (as by one that holds it at its start, see DamagedSideFilesBoundTests): it is never read,
/// and it went on counting toward MaxStorageBytes.
/// </summary>
public sealed class SessionTemporaryAfterTakeOverTests : StorageTestBase
{
    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(250);

    [Theory]
    [InlineData(SessionMode.RequireScope)]
    [InlineData(SessionMode.ProcessWide)]
    public async Task SessionTemporaryInTheFolder_ClientTakingTheFolderOver_DeletesIt(SessionMode mode)
    {
        var collector = new StorageCollector { Up = true };
        var first = NewClient(collector, o => o.SessionMode = SessionMode.RequireScope);
        await using var second = NewClient(collector, o => o.SessionMode = mode);
        second.Durable!.IsOwner.Should().BeFalse("the first client holds the folder");

        // The holder goes (a process killed while saving its session leaves such a copy, then its lock).
        await first.DisposeAsync();
        var left = Path.Combine(Directory, "session.json.0f1e2d3c4b5a69788796a5b4c3d2e1f0.tmp");
        File.WriteAllBytes(left, new byte[1024]);

        await DriveUntilAsync(() => second.Durable.IsOwner, Step);
        await WrittenAsync(second);
        var flush = second.FlushAsync();
        await DriveUntilAsync(() => flush.IsCompleted, Step);

        File.Exists(left).Should().BeFalse("the new owner deletes what a killed process left, as at a start that finds the folder free");
    }
}
