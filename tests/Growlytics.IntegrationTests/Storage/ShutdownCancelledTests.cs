using static GrowlyticsSdk.IntegrationTests.TestSupport;

namespace GrowlyticsSdk.IntegrationTests.Storage;

/// <summary>A shutdown that ends before the storage writer stopped: the folder is released once the writer stops.</summary>
[Collection(EngineCollection.Name)]
public sealed class ShutdownCancelledTests
{
    private const int HeldByAnotherClient = 4001;
    private const int TakenOver = 4012;

    [Fact]
    public async Task ShutdownAsync_CancelledWhileTheWriterWrites_FolderReleasedWhenTheWriterStopsAndTakenOver()
    {
        using var folder = new TempFolder();
        var directory = folder.Sub("storage");
        await using var collector = await FaultyCollector.StartAsync();
        using var writerGate = new ManualResetEventSlim(false);
        var writing = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var firstOptions = FastOptions(collector.Endpoint);
        firstOptions.StorageDirectory = directory;
        firstOptions.SessionMode = SessionMode.RequireScope;
        firstOptions.BeforeStorageAppend = () =>
        {
            writing.TrySetResult();
            writerGate.Wait(Deadline);
        };
        var first = new GrowlyticsClient(firstOptions);
        first.Customers.Update("customer-1", Number(1));
        await writing.Task.WaitAsync(Deadline);

        // The caller gives up on the shutdown (a host whose stop token fired) while the writer is in its write.
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        await first.ShutdownAsync(cancelled.Token).WaitAsync(Deadline);

        // A new client on the folder (Initialize again) finds it still held, waits for it, then takes it over and sends
        // what was stored. Started before the writer goes on: started after, it could find the folder released already
        // and take it at once (nothing taken over).
        var logs = new RecordingLoggerFactory();
        var secondOptions = FastOptions(collector.Endpoint);
        secondOptions.StorageDirectory = directory;
        secondOptions.SessionMode = SessionMode.RequireScope;
        secondOptions.LoggerFactory = logs;
        await using var second = new GrowlyticsClient(secondOptions);
        logs.Count(HeldByAnotherClient).Should().Be(1, "the first client's writer still holds the folder");
        writerGate.Set();
        await EventuallyAsync(() => logs.Count(TakenOver) == 1, "the second client took the folder over once the first client's writer stopped");
        await EventuallyAsync(() => collector.Acknowledged.Count == 1, "the message the first client stored was delivered by the second");
        GC.KeepAlive(first);
    }
}
