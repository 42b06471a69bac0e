using System.Diagnostics;
using System.Net;
using Microsoft.Extensions.Logging;
using static GrowlyticsSdk.IntegrationTests.TestSupport;

namespace GrowlyticsSdk.IntegrationTests.Security;

/// <summary>
/// The delivery loop pauses after a fault (here one of the app's <see cref="TimeProvider"/>) for the flush interval, up to
/// an hour: a shutdown that begins during that pause ends the pause, so it still returns within its
/// <see cref="GrowlyticsOptions.ShutdownTimeout"/> (the README: delivers within it, then counts what is left and returns).
/// </summary>
public sealed class ThrowingTimeProviderShutdownTests : IAsyncLifetime, IDisposable
{
    private readonly RecordingLoggerProvider _logs = new();
    private readonly FaultyClock _clock = new();
    private readonly TempFolder _folder = new();
    private RecordingServer _server = null!;

    public async Task InitializeAsync() => _server = await RecordingServer.StartAsync(IPAddress.Loopback);

    public async Task DisposeAsync() => await _server.DisposeAsync();

    public void Dispose()
    {
        _logs.Dispose();
        _folder.Dispose();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Shutdown_DuringTheLoopsPauseAfterAFault_ReturnsWithinTheShutdownTimeout(bool storage)
    {
        var options = new GrowlyticsOptions
        {
            ApiKey = "clock-test-key-7731",
            Endpoint = _server.BaseUri,
            Protocol = GrowlyticsProtocol.Rest,

            // REST sends at once; the flush interval is only the loop's pause after a fault here.
            FlushInterval = TimeSpan.FromHours(1),
            RequestTimeout = TimeSpan.FromSeconds(5),
            StorageCommitInterval = TimeSpan.FromMilliseconds(20),
            StorageDirectory = storage ? _folder.Sub("store") : null,
            TimeProvider = _clock,
            ShutdownTimeout = TimeSpan.FromSeconds(1),
            FlushOnProcessExit = false,
            LoggerFactory = LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Trace).AddProvider(_logs)),
        };
        var client = new GrowlyticsClient(options);

        client.Customers.Update("before", new Dictionary<string, object?> { ["n"] = 1 });
        await FlushAsync(client);

        // The clock breaks as the loop turns: it logs the fault and pauses (on the system's timer).
        _clock.Broken = true;
        client.Customers.Update("during", new Dictionary<string, object?> { ["n"] = 2 });
        await EventuallyAsync(() => _logs.Lines.Any(l => l.EventId.Id == 2010), "event 2010 logged the clock's fault");
        _clock.Broken = false;

        var clock = Stopwatch.StartNew();
        var shutdown = client.ShutdownAsync();
        var returned = await Task.WhenAny(shutdown, Task.Delay(TimeSpan.FromSeconds(8))) == shutdown;
        returned.Should().BeTrue("the shutdown is bounded by its 1 s timeout, not by the loop's one-hour pause");
        await shutdown;
        clock.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(6));

        var statistics = client.Statistics;
        statistics.Enqueued.Should().Be(statistics.Delivered + statistics.Dropped + statistics.Pending);
        statistics.Delivered.Should().BeGreaterThanOrEqualTo(1);
    }
}
