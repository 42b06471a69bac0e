#if !GROWLYTICS_LIBRARY_NETSTANDARD
using System.Net;
using System.Runtime.InteropServices;
using GrowlyticsSdk.Tests.TestSupport;

namespace GrowlyticsSdk.Tests.Delivery;

/// <summary>
/// The facade's handler (.NET 10 and later) of a signal that ends the process (Ctrl+C, SIGTERM, SIGHUP): it flushes within
/// ShutdownTimeout and leaves the client running, and does nothing when another handler keeps the process alive. The
/// net8.0 build's only: the netstandard2.0 build has no signal handlers.
/// </summary>
public sealed class ExitSignalFlushTests
{
    private static readonly TimeSpan RealBound = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Signal_DeliversWhatWasAcceptedLogsItAndLeavesTheClientRunning()
    {
        await using var h = new DeliveryHarness();
        h.PushMany(5);

        await Task.Run(() => Growlytics.FlushOnSignal(h.Client, new PosixSignalContext(PosixSignal.SIGTERM))).WaitAsync(RealBound);

        h.Client.Statistics.Delivered.Should().Be(5);
        h.Log.WithId(2018).Should().ContainSingle().Which.Text.Should().Contain("SIGTERM");
        h.Client.IsShutDown.Should().BeFalse("another handler may keep the process running");
        h.PushMany(1, from: 5);
        await h.Client.FlushAsync().WaitAsync(RealBound);
        h.Client.Statistics.Delivered.Should().Be(6);
    }

    [Fact]
    public async Task Signal_ServiceNotAnswering_WaitsShutdownTimeoutThenLogsWhatIsPending()
    {
        var answer = new TaskCompletionSource<HttpResponseMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var h = new DeliveryHarness(o => o.ShutdownTimeout = TimeSpan.FromSeconds(2));
        h.Responder = _ => answer.Task;
        h.PushMany(3);

        var flush = Task.Run(() => Growlytics.FlushOnSignal(h.Client, new PosixSignalContext(PosixSignal.SIGINT)));
        await Task.Delay(50);
        flush.IsCompleted.Should().BeFalse("the flush waits up to ShutdownTimeout for the service");
        while (!flush.IsCompleted)
        {
            h.Time.Advance(TimeSpan.FromSeconds(1));
            await Task.WhenAny(flush, Task.Delay(20));
        }

        await flush.WaitAsync(RealBound);
        var pending = h.Log.WithId(2019).Should().ContainSingle().Subject;
        pending.Text.Should().Contain("3 message(s) still pending").And.Contain("SIGINT");
        h.Client.Statistics.Pending.Should().Be(3);
        answer.SetResult(new HttpResponseMessage(HttpStatusCode.OK));
        await h.Client.FlushAsync().WaitAsync(RealBound);
        h.Client.Statistics.Delivered.Should().Be(3, "the client kept running");
    }

    [Fact]
    public async Task Signal_AnotherHandlerKeepsTheProcessRunning_DoesNothing()
    {
        var answer = new TaskCompletionSource<HttpResponseMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var h = new DeliveryHarness();
        h.Responder = _ => answer.Task;
        h.PushMany(1);

        // As the generic host's handler, or a Console.CancelKeyPress handler that cancels, leaves it: the process goes on,
        // and exits later through ProcessExit (which shuts the client down).
        Growlytics.FlushOnSignal(h.Client, new PosixSignalContext(PosixSignal.SIGTERM) { Cancel = true });

        h.Log.WithId(2018).Should().BeEmpty();
        h.Log.WithId(2019).Should().BeEmpty();
        h.Client.Statistics.Pending.Should().Be(1);
        answer.SetResult(new HttpResponseMessage(HttpStatusCode.OK));
    }
}
#endif
