namespace GrowlyticsSdk.Tests.Sessions;

/// <summary>
/// <c>Initialize</c> adds the SDK's process-exit and crash handlers, and .NET runs handlers in the order they were added:
/// an app's own handler added after <c>Initialize</c> runs after the client's shutdown. Its calls through the facade (a
/// last <c>Push</c> as the app ends or crashes) are counted dropped (<see cref="DropReason.Shutdown"/>), as calls on the
/// client itself are; they do not throw in that handler.
/// </summary>
[Collection(FacadeCollection.Name)]
public sealed class FacadeProcessEndTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task CallsAfterTheShutdownAtProcessEnd_AreCountedDropped_NotThrown(bool crash)
    {
        var client = Growlytics.Initialize("key", o =>
        {
            o.Endpoint = new Uri("http://127.0.0.1:9/");
            o.Protocol = GrowlyticsProtocol.Batch;
            o.ShutdownTimeout = TimeSpan.FromMilliseconds(200);
        });
        try
        {
            // What the runtime does at the process's end, the SDK's handler first.
            if (crash)
            {
                client.UnhandledExceptionHandler!(null!, new UnhandledExceptionEventArgs(new InvalidOperationException("crash"), isTerminating: true));
            }
            else
            {
                client.ProcessExitHandler!(null, EventArgs.Empty);
            }

            client.IsShutDown.Should().BeTrue();
            client.ProcessExitHandler.Should().BeNull("the handlers are removed once the shutdown has completed");

            // The app's own handler, added after Initialize.
            var lastPush = () => Growlytics.User.Push(new Dictionary<string, object?> { ["lastSeen"] = "now" });
            var lastUpdate = () => Growlytics.Customers.Update("customer-1", new Dictionary<string, object?> { ["plan"] = "pro" });
            lastPush.Should().NotThrow();
            lastUpdate.Should().NotThrow();

            var statistics = client.Statistics;
            statistics.DroppedByReason[DropReason.Shutdown].Should().Be(2);
            statistics.Enqueued.Should().Be(statistics.Delivered + statistics.Dropped + statistics.Pending);
            Growlytics.IsInitialized.Should().BeFalse();
        }
        finally
        {
            // Leaves the facade as a shutdown leaves it (the next test may initialize it again).
            Growlytics.Initialize("key", o => { o.Endpoint = new Uri("http://127.0.0.1:9/"); o.FlushOnProcessExit = false; });
            await Growlytics.ShutdownAsync();
        }
    }
}
