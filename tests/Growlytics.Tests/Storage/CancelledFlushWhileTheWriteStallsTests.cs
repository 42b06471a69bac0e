namespace GrowlyticsSdk.Tests.Storage;

/// <summary>
/// <see cref="GrowlyticsClient.FlushAsync"/> with storage, cancelled while the storage writer is held in a write (a disk
/// that stalls): the flush waits for that write first. A cancelled one is withdrawn there too, as the delivery loop
/// withdraws its own, so flushes cancelled one after another (a flush with a timeout, called again and again) do not pile
/// up in the writer until the write ends; a flush still waiting keeps waiting.
/// </summary>
public sealed class CancelledFlushWhileTheWriteStallsTests : StorageTestBase
{
    [Fact]
    public Task FlushAsync_CancelledManyTimesWhileTheWriterIsHeldInAWrite_NoneStaysRegistered() => WhileTheWriterIsHeldInAWriteAsync(
        async client =>
        {
            var waiting = client.FlushAsync();
            for (var i = 0; i < 100; i++)
            {
                using var cancel = new CancellationTokenSource();
                var flush = client.FlushAsync(cancel.Token);
                await cancel.CancelAsync();
                var thrown = await flush.Invoking(f => f).Should().ThrowAsync<OperationCanceledException>();
                thrown.Which.CancellationToken.Should().Be(cancel.Token);
            }

            client.Durable!.WaitingFlushes.Should().Be(1, "the cancelled flushes are withdrawn; the one without a token still waits");
            client.Dispatcher.WaitingFlushes.Should().Be(0, "no flush got past the write to register with the delivery loop");
            waiting.IsCompleted.Should().BeFalse("another caller's cancellation does not end this flush");
        },
        TimeSpan.FromMilliseconds(200));
}
