using System.Net;
using System.Net.Sockets;
using GrowlyticsSdk.Tests.TestSupport;

namespace GrowlyticsSdk.Tests.Delivery;

/// <summary>
/// An app closed while the service cannot be reached: with the circuit open past the shutdown's deadline and nothing on
/// the wire, nothing can be delivered in the time left, so the shutdown does not wait it out (a desktop app took the whole
/// <see cref="GrowlyticsOptions.ShutdownTimeout"/> to close, every time, offline). With a break that ends before the
/// deadline it still waits for the probe. The clock is fake and does not move while the shutdown runs.
/// </summary>
public sealed class OfflineShutdownTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Shutdown_WithTheCircuitOpenPastTheDeadline_ReturnsWithoutTheClockMoving(bool storage)
    {
        var folder = Path.Combine(Path.GetTempPath(), "growlytics-tests", Guid.NewGuid().ToString("N"));
        try
        {
            await using var h = new DeliveryHarness(o =>
            {
                o.ShutdownTimeout = TimeSpan.FromSeconds(5);
                o.CircuitBreakDuration = TimeSpan.FromSeconds(15);
                o.StorageDirectory = storage ? folder : null;
            });
            h.Responder = _ => Task.FromException<HttpResponseMessage>(Refused());
            PushForUsers(h, users: 100, each: 10);
            h.Client.Dispatcher.RequestDrain();
            await h.AdvanceUntilAsync(() => h.Log.Entries.Any(e => e.EventId == 2020), TimeSpan.FromMilliseconds(50));
            var attempts = h.Requests.Count;

            var shutdown = h.Client.ShutdownAsync();
            await shutdown.WaitAsync(DeliveryHarness.RealTimeout);

            h.Requests.Count.Should().Be(attempts, "the open circuit let nothing through");
            var statistics = h.AssertBalanced();
            statistics.Delivered.Should().Be(0);
            if (storage)
            {
                statistics.Dropped.Should().Be(0, "the messages stay in the storage folder for the next start");
                statistics.Pending.Should().Be(1_000);
            }
            else
            {
                statistics.DroppedByReason[DropReason.Shutdown].Should().Be(1_000);
            }
        }
        finally
        {
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
    }

    [Fact]
    public async Task Shutdown_WithABreakThatEndsBeforeTheDeadline_WaitsForTheProbe_AndDelivers()
    {
        await using var h = new DeliveryHarness(o =>
        {
            o.ShutdownTimeout = TimeSpan.FromSeconds(5);
            o.CircuitBreakDuration = TimeSpan.FromSeconds(2);
        });
        h.Responder = _ => Task.FromException<HttpResponseMessage>(Refused());
        PushForUsers(h, users: 100, each: 10);
        h.Client.Dispatcher.RequestDrain();
        await h.AdvanceUntilAsync(() => h.Log.Entries.Any(e => e.EventId == 2020), TimeSpan.FromMilliseconds(50));

        var shutdown = h.Client.ShutdownAsync();
        await Task.Delay(200);
        shutdown.IsCompleted.Should().BeFalse("the circuit lets a probe through before the deadline");

        h.Responder = _ => Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK));
        await h.RunAsync(shutdown, TimeSpan.FromMilliseconds(50));
        var statistics = h.AssertBalanced();
        statistics.Delivered.Should().Be(1_000);
        statistics.Dropped.Should().Be(0);
    }

    // Enough for the 8 requests in flight at once to fail together and open the circuit (judged on 8 answers or more).
    private static void PushForUsers(DeliveryHarness h, int users, int each)
    {
        for (var n = 0; n < each; n++)
        {
            for (var user = 0; user < users; user++)
            {
                h.Push(n, anonymousId: "visitor-" + user);
            }
        }
    }

    private static HttpRequestException Refused() =>
        new("refused", new SocketException((int)SocketError.ConnectionRefused));
}
