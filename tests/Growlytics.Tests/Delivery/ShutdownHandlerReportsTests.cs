using System.Net;
using GrowlyticsSdk.Tests.TestSupport;

namespace GrowlyticsSdk.Tests.Delivery;

/// <summary>
/// What the shutdown says about <see cref="GrowlyticsClient.MessageDropped"/> handlers: faults counted since the last line
/// of their interval are logged (event 1010) before the totals, and a handler of a summed report (calls refused for a full
/// queue) that does not return within the grace is not waited for and said so (event 2016), as for the loop's reports.
/// </summary>
public sealed class ShutdownHandlerReportsTests
{
    private static readonly TimeSpan RealBound = DeliveryHarness.RealTimeout;

    // "Handlers must not throw (an exception is logged and ignored...)": every fault must reach the log, the ones
    // counted after the last 1010 line of the interval included, at the latest at shutdown.
    [Fact]
    public async Task HandlerFaultsAfterTheLastReport_AreLoggedByTheShutdown()
    {
        await using var h = new DeliveryHarness();
        h.Responder = _ => Task.FromResult(new HttpResponseMessage(HttpStatusCode.BadRequest));
        var calls = 0;
        h.Client.MessageDropped += (_, e) =>
        {
            Interlocked.Increment(ref calls);
            throw new InvalidOperationException("handler fault");
        };

        for (var i = 0; i < 4; i++)
        {
            h.Push(i);
            await h.FlushAsync(TimeSpan.FromMilliseconds(1));
            await h.Client.DropsReportedAsync().WaitAsync(RealBound);
        }

        Volatile.Read(ref calls).Should().Be(4);
        await h.RunAsync(h.Client.ShutdownAsync(), TimeSpan.FromMilliseconds(1));
        var logged = h.Log.WithId(1010).Sum(e => (long)e.Fields["Count"]!);
        logged.Should().Be(Volatile.Read(ref calls), "every handler fault is logged, the last interval's at shutdown");
    }

    // README: "MessageDropped handlers get 250 ms more (... a handler that does not return within it is not waited for,
    // event 2016 ...)". A handler of a bulk report (QueueFull) that does not return.
    [Fact]
    public async Task Shutdown_BulkHandlerThatDoesNotReturn_LogsEvent2016()
    {
        await using var h = new DeliveryHarness(o => o.MaxQueueSize = 16, startDelivery: false);
        using var gate = new ManualResetEventSlim();
        var entered = 0;
        h.Client.MessageDropped += (_, e) =>
        {
            if (e.Reason == DropReason.QueueFull)
            {
                Interlocked.Increment(ref entered);
                gate.Wait(TimeSpan.FromSeconds(30));
            }
        };
        h.PushMany(100);
        await DeliveryHarness.WaitUntilAsync(() => Volatile.Read(ref entered) == 1);

        var shutdown = h.Client.ShutdownAsync();
        try
        {
            h.Time.Advance(h.Options.ShutdownTimeout);
            await DeliveryHarness.WaitUntilAsync(() =>
            {
                h.Time.Advance(TimeSpan.FromMilliseconds(50));
                return shutdown.IsCompleted;
            });

            gate.IsSet.Should().BeFalse();
            h.Log.Entries.Should().Contain(e => e.EventId == 2016, "the shutdown did not wait for a handler still running");
        }
        finally
        {
            gate.Set();
        }

        await shutdown;
    }
}
