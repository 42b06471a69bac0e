namespace GrowlyticsSdk.Tests.Storage;

/// <summary>
/// A restart that finds stored records while the application already pushes: the storage writer may write the new
/// messages before delivery first reads, and the restored records must still be read (first), not passed by and lost.
/// </summary>
public sealed class RestartWithNewMessagesTests : StorageTestBase
{
    private const int Stored = 50;
    private const int New = 10;
    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(50);

    [Fact]
    public async Task Restart_PushingAtOnce_DeliversTheRestoredRecordsAndTheNewMessages()
    {
        var first = NewClient(new StorageCollector());
        PushNumbers(first, 0, Stored);
        var released = first.DisposeAsync().AsTask();
        await DriveUntilAsync(() => released.IsCompleted, Step);

        var collector = new StorageCollector { Up = true };
        await using var second = NewClient(collector);
        PushNumbers(second, Stored, New);
        await DriveUntilAsync(() => second.Statistics.Delivered + second.Statistics.Dropped == Stored + New, Step);

        second.Statistics.Restored.Should().Be(Stored);
        second.Statistics.Dropped.Should().Be(0);
        second.Statistics.CorruptRecords.Should().Be(0);
        collector.Numbers.Should().BeEquivalentTo(Enumerable.Range(0, Stored + New).Select(n => (long)n));
    }
}
