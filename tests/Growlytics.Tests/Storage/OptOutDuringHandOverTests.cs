using System.Net;
using GrowlyticsSdk.Storage;

namespace GrowlyticsSdk.Tests.Storage;

/// <summary>
/// At shutdown a client whose folder became its own hands memory's messages to the folder, abandoning the requests in
/// flight that carry them (it no longer waits for a handler that ignores the cancellation, so the hand-over may come
/// first). An opt-out at that moment wins: the messages are dropped as <see cref="DropReason.OptedOut"/>, and nothing of
/// the user's stays in the folder (what the hand-over wrote first, the opt-out's sweep drops).
/// </summary>
public sealed class OptOutDuringHandOverTests : StorageTestBase
{
    private const int TakenOver = 4012;
    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(250);

    [Fact]
    public async Task OptOut_WhileTheShutdownWaitsToHandMemoryToTheFolder_NothingWrittenAllDroppedAsOptedOut()
    {
        var stuck = new StuckCollector();
        var logs = new RecordingLoggerFactory();
        var appends = 0;
        var first = NewClient(new StorageCollector());
        GrowlyticsClient? second = null;
        second = NewClient(new StorageCollector(), o =>
        {
            o.HttpClient = new HttpClient(stuck);
            o.LoggerFactory = logs;
            o.SessionMode = SessionMode.RequireScope;
            o.BeforeStorageAppend = () => Interlocked.Increment(ref appends);

            // The opt-out's sweep waits until the shutdown has stopped the storage writer: whatever was handed to the
            // writer has been written by then, so a hand-over that raced the opt-out shows as an append.
            o.BeforeOptOutSweep = () => SpinWait.SpinUntil(() => second!.StorageWriterStopped, TimeSpan.FromSeconds(10));
        });
        try
        {
            // Sent from memory while the first client holds the folder; the service takes the requests and never answers.
            UpdateCustomerNumbers(second, 0, 20);

            await DriveUntilAsync(() => Volatile.Read(ref stuck.Attempts) >= 1, Step);
            await first.DisposeAsync();
            await DriveUntilAsync(() => logs.Entries.Any(e => e.EventId == TakenOver), Step);

            // The shutdown abandons the requests in flight to hand their messages to the folder; while it waits for them to
            // end, the user opts out.
            var shutdown = second.ShutdownAsync();
            SpinWait.SpinUntil(() => stuck.AllCancelled, TimeSpan.FromSeconds(30)).Should().BeTrue("the shutdown cancels the requests in flight");
            second.OptOut();
            stuck.Release();
            await DriveUntilAsync(() => shutdown.IsCompleted, Step);
            await shutdown;

            // A cancelled request is no longer waited for (its handler may never end): the hand-over can come before the
            // opt-out, and the opt-out's sweep then drops what was written (none of it stays in the folder, below).
            appends.Should().BeLessThanOrEqualTo(1);
            second.Statistics.DroppedByReason[DropReason.OptedOut].Should().Be(20);
            second.Statistics.Pending.Should().Be(0);
            ShouldBeBalanced(second.Statistics);
            SegmentLoader.Load(Directory, long.MaxValue).Segments.Sum(s => s.Pending).Should().Be(0);
        }
        finally
        {
            stuck.Release();
            await first.DisposeAsync();
            await second.DisposeAsync();
        }
    }

    /// <summary>A service that takes requests and answers none until released (a cancelled request ends then, as cancelled).</summary>
    private sealed class StuckCollector : HttpMessageHandler
    {
        private readonly TaskCompletionSource<bool> _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _cancelled;

        public int Attempts;

        public bool AllCancelled => Volatile.Read(ref _cancelled) == Volatile.Read(ref Attempts);

        public void Release() => _release.TrySetResult(true);

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref Attempts);
            using (cancellationToken.Register(() => Interlocked.Increment(ref _cancelled)))
            {
                await _release.Task.ConfigureAwait(false);
            }

            cancellationToken.ThrowIfCancellationRequested();
            return new HttpResponseMessage(HttpStatusCode.ServiceUnavailable);
        }
    }
}
