using GrowlyticsSdk.Storage;

namespace GrowlyticsSdk.Tests.Storage;

/// <summary>
/// A shutdown's deadline stops sending while the delivery loop is starting requests. Requests started then are abandoned
/// at once, and stored messages abandoned go back to the head of their partitions, ready again: the loop must start no
/// request once sending has stopped, or it can start the same stored messages over and over and the shutdown never ends
/// (it waits for the loop).
/// </summary>
public sealed class SendingStoppedWhileDispatchingTests : StorageTestBase
{
    private const int Customers = 400;
    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(100);

    [Fact]
    public async Task SendingStopsWhileTheLoopStartsRequestsOfStoredMessages_ItStartsNoMore_AndTheShutdownEnds()
    {
        // A run that stored an update for each of 400 customers (one partition each: four requests' worth) while the
        // service was down.
        var first = NewClient(new StorageCollector());
        UpdateCustomerNumbers(first, 0, Customers);
        await StoredAsync(first);
        await ShutDownDrivingAsync(first, Step);
        SegmentLoader.Load(Directory, long.MaxValue).Segments.Sum(s => s.Pending).Should().Be(Customers);

        // The next run's service never answers; two requests at a time.
        var collector = new StorageCollector { Hang = true };
        var client = NewClient(collector, o => o.MaxConcurrentRequests = 2, startDelivery: false);
        var dispatcher = client.Dispatcher;
        using var release = new ManualResetEventSlim();
        var inDispatch = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        var held = 0;
        var startedAfterStop = 0;
        dispatcher.AfterRequestStarted = () =>
        {
            if (dispatcher.SendingStopped)
            {
                Interlocked.Increment(ref startedAfterStop);
                return;
            }

            // The loop has just started the second request, with more ready behind: it waits here, still dispatching,
            // while the shutdown stops sending and the requests on the wire end (their slots free again).
            if (dispatcher.ActiveRequests == 2 && Interlocked.Exchange(ref held, 1) == 0)
            {
                inDispatch.SetResult(true);
                release.Wait(TimeSpan.FromSeconds(60));
            }
        };

        client.Durable!.Start();
        dispatcher.Start();
        await inDispatch.Task.WaitAsync(TimeSpan.FromSeconds(30));

        var shutdown = client.ShutdownAsync();
        try
        {
            await DriveUntilAsync(() => dispatcher.SendingStopped && dispatcher.ActiveRequests == 0, Step);
        }
        finally
        {
            release.Set();
        }

        await DriveUntilAsync(() => shutdown.IsCompleted, Step);
        await shutdown;

        Volatile.Read(ref startedAfterStop).Should().Be(0, "no request is started once sending has stopped");
        client.Statistics.Dropped.Should().Be(0, "what could not be sent stays in the folder");
        client.Statistics.Pending.Should().Be(Customers);
        ShouldBeBalanced(client.Statistics);
        SegmentLoader.Load(Directory, long.MaxValue).Segments.Sum(s => s.Pending).Should().Be(Customers);
    }
}
