namespace GrowlyticsSdk.Tests.Storage;

/// <summary>
/// <see cref="GrowlyticsClient.DeleteLocalDataAsync"/> while another client still holds the storage folder (the takeover
/// pending): what the folder held was stored before the deletion, so it is dropped and its files deleted as the folder
/// loads, never sent (as for an opt-out).
/// </summary>
public sealed class DeleteWhileTheFolderIsHeldTests : StorageTestBase
{
    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(200);

    [Fact]
    public async Task DeleteLocalDataAsync_WhileTakeOverPending_WhatTheFolderHeldIsNeverSentAfterIt()
    {
        var first = await HoldingStoredNumbersAsync(5);
        var collector = new StorageCollector { Up = true };
        await using var second = NewClient(collector);
        second.Durable!.IsOwner.Should().BeFalse();

        var deletion = second.DeleteLocalDataAsync();
        await DriveUntilAsync(() => deletion.IsCompleted, Step);
        await deletion;
        var segmentsLeft = System.IO.Directory.GetFiles(Directory, "queue-*.seg").Length;

        await first.DisposeAsync();
        await DriveUntilAsync(() => second.Durable.IsOwner, Step);
        PushNumbers(second, 1_000, 1);
        var flush = second.FlushAsync();
        await DriveUntilAsync(() => flush.IsCompleted, Step);
        collector.Numbers.Should().Equal([1_000L], $"what the folder stored before the deletion completed is never sent after it (segments left after the deletion completed: {segmentsLeft})");
    }
}
