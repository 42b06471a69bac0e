namespace GrowlyticsSdk.Tests.Storage;

/// <summary>
/// <see cref="GrowlyticsClient.DeleteLocalDataAsync"/> once the client has taken over the folder another client held, while
/// the writer is still loading it (a large backlog takes seconds): what the folder held was stored before the deletion, so
/// it is dropped as it loads, never read, logged as restored "sending them now", nor sent.
/// </summary>
public sealed class DeleteAsTheFolderIsTakenOverTests : StorageTestBase
{
    private const int Restored = 4003;
    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(200);

    [Fact]
    public async Task DeleteLocalDataAsync_FolderTakenNotYetLoaded_WhatItHeldIsNeverReadNorSent()
    {
        var first = await HoldingStoredNumbersAsync(5);
        var collector = new StorageCollector { Up = true };
        var logs = new RecordingLoggerFactory();
        GrowlyticsClient? second = null;
        Task? deletion = null;
        var read = 0;
        var reachedBeforeTheLoad = false;
        second = NewClient(collector, o =>
        {
            o.LoggerFactory = logs;
            o.SessionMode = SessionMode.RequireScope;
            o.AfterStoreRead = records => Interlocked.Add(ref read, records);
            o.AfterTakeOverTry = took =>
            {
                if (took)
                {
                    // The folder is this client's now and its load has not begun: the user asks for the deletion meanwhile.
                    // (The writer held here until the deletion has reached the stored queue stands for a load that takes
                    // that long. The deletion gets there through the thread pool and a turn of the delivery loop: waited
                    // for on that signal, bounded generously, not for a fixed moment a busy machine may not fill.)
                    var client = Volatile.Read(ref second)!;
                    deletion = client.DeleteLocalDataAsync();
                    Volatile.Write(ref reachedBeforeTheLoad, SpinWait.SpinUntil(() => client.Durable!.DropAtLoad is not null, TimeSpan.FromSeconds(30)));
                }
            };
        });
        second.Durable!.IsOwner.Should().BeFalse();

        await first.DisposeAsync();
        await DriveUntilAsync(() => Volatile.Read(ref deletion) is { IsCompleted: true } && second.Durable.IsOwner, Step);
        await deletion!;
        Volatile.Read(ref reachedBeforeTheLoad).Should().BeTrue("the deletion reaches the stored queue while its load waits");
        var flush = second.FlushAsync();
        await DriveUntilAsync(() => flush.IsCompleted, Step);

        collector.Numbers.Should().BeEmpty("what the folder stored before the deletion is never sent after it");
        Volatile.Read(ref read).Should().Be(0, "what the folder held is dropped as it loads, never read for sending");
        logs.Entries.Should().NotContain(e => e.EventId == Restored, "nothing is restored to be sent: it was deleted");
        second.Statistics.DroppedByReason[DropReason.OptedOut].Should().Be(5);
        ShouldBeBalanced(second.Statistics);
        SegmentFiles().Should().BeEmpty();
        await second.DisposeAsync();
    }
}
