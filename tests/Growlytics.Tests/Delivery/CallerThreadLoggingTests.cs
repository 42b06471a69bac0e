using GrowlyticsSdk.Tests.TestSupport;

namespace GrowlyticsSdk.Tests.Delivery;

/// <summary>
/// The warnings a call can trigger (a full queue, a call after shutdown, an invalid call dropped, an identify without
/// logout) are written off the caller's thread: a logging provider that writes synchronously to a slow sink (a file, a
/// network shipper) never holds up a <c>Push</c> on a request thread.
/// </summary>
public sealed class CallerThreadLoggingTests
{
    private static readonly TimeSpan CallBound = TimeSpan.FromSeconds(10);

    [Theory]
    [InlineData(2001)]
    [InlineData(2011)]
    [InlineData(1001)]
    [InlineData(1002)]
    public async Task Call_LoggerBlocksOnTheWarningItTriggers_ReturnsWithoutWaitingForTheLogger(int eventId)
    {
        using var logger = new ManualResetEventSlim();
        await using var h = new DeliveryHarness(
            o =>
            {
                o.MaxQueueSize = 1;
                o.InvalidInputHandling = InvalidInputHandling.Drop;
            },
            startDelivery: false);
        h.Log.BeforeLog = id =>
        {
            if (id == eventId)
            {
                logger.Wait();
            }
        };
        Action call = eventId switch
        {
            2001 => () => h.Push(1),
            2011 => () => h.Push(1),
            1001 => () => h.Client.User.Push(new Dictionary<string, object?> { ["email"] = "not an address" }),
            _ => () => h.Client.User.Identify("user-b"),
        };
        if (eventId == 2011)
        {
            h.Client.Dispatcher.Start();
            await h.Client.ShutdownAsync().WaitAsync(DeliveryHarness.RealTimeout);
        }
        else if (eventId == 2001)
        {
            h.Push(0);
        }
        else if (eventId == 1002)
        {
            h.Client.User.Identify("user-a");
        }

        // On a thread of its own: a call that waits for the logger must not take a pool thread the log line may need.
        var calling = Task.Factory.StartNew(call, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        try
        {
            var first = await Task.WhenAny(calling, Task.Delay(CallBound));
            first.Should().BeSameAs(calling, "the call must not wait for the logging provider to write its warning");
        }
        finally
        {
            logger.Set();
        }

        await calling;
        await h.CallLinesWrittenAsync();
        h.Log.WithId(eventId).Should().ContainSingle();
    }

    [Fact]
    public async Task ShutdownAsync_WarningStillBeingWritten_WritesItBeforeTheTotals()
    {
        using var logger = new ManualResetEventSlim();
        await using var h = new DeliveryHarness(o => o.MaxQueueSize = 1, startDelivery: false);
        h.Log.BeforeLog = id =>
        {
            if (id == 2001)
            {
                logger.Wait(DeliveryHarness.RealTimeout);
            }
        };
        h.Push(0);
        h.Push(1);
        h.Client.Dispatcher.Start();

        // Long enough for the shutdown to end if it does not wait for the line the provider is still writing.
        var shutdown = Task.Run(() => h.RunAsync(h.Client.ShutdownAsync()));
        await Task.WhenAny(shutdown, Task.Delay(TimeSpan.FromSeconds(1)));
        logger.Set();
        await shutdown;

        h.Log.Entries.Select(e => e.EventId).Where(id => id is 2001 or 2015).Should().Equal(
            [2001, 2015], "a warning a call triggered before the shutdown comes before the shutdown's totals, and is not lost at exit");
    }
}
