namespace GrowlyticsSdk.Tests.Storage;

/// <summary>
/// A damaged position file, or a session file's temporary copy left by a process killed while saving it, counted against
/// MaxStorageBytes at the next start at its full size, and stored messages were dropped (StorageFull) to make room for it,
/// though the position file is about to be replaced and the temporary copy is never read.
/// </summary>
public sealed class DamagedSideFilesBoundTests : StorageTestBase
{
    private const int Stored = 200;
    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(200);

    [Theory]
    [InlineData("queue.settled")]
    [InlineData("queue.ack")]
    [InlineData("session.json.0f1e2d3c4b5a69788796a5b4c3d2e1f0.tmp")]
    [InlineData("privacy.json.0f1e2d3c4b5a69788796a5b4c3d2e1f0.tmp")]
    public async Task DamagedOrLeftoverSideFile_NextStart_DeliversEveryStoredMessage(string name)
    {
        await StoreNumbersInSmallSegmentsAsync(Stored);
        var garbage = new byte[48 * 1024];
        new Random(1).NextBytes(garbage);
        File.WriteAllBytes(Path.Combine(Directory, name), garbage);

        var collector = new StorageCollector { Up = true };
        await using var client = NewClient(collector, o => o.MaxStorageBytes = 64 * 1024);
        await DriveUntilAsync(() => client.Statistics is { Restored: > 0, Pending: 0 }, Step);

        var statistics = client.Statistics;
        statistics.Dropped.Should().Be(0, "a damaged or stale side file costs copies, never a message: {0}", string.Join(", ", statistics.DroppedByReason.Where(r => r.Value > 0)));
        collector.Numbers.Should().BeEquivalentTo(Enumerable.Range(0, Stored).Select(n => (long)n));
    }

    [Fact]
    public async Task SessionTemporaryLeftByAKilledProcess_IsDeletedByTheNextOwner()
    {
        await StoreNumbersInSmallSegmentsAsync(Stored);
        var left = Path.Combine(Directory, "session.json.0f1e2d3c4b5a69788796a5b4c3d2e1f0.tmp");
        File.WriteAllBytes(left, new byte[1024]);

        await using var client = NewClient(new StorageCollector { Up = true });
        await DriveUntilAsync(() => !File.Exists(left), Step);

        System.IO.Directory.GetFiles(Directory, "session.json.*.tmp").Should().BeEmpty("the owner writes the session file through temporary copies of its own, one at a time");
    }
}
