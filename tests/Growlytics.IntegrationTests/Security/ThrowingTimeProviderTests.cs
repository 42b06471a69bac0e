using System.Net;
using Microsoft.Extensions.Logging;
using static GrowlyticsSdk.IntegrationTests.TestSupport;

namespace GrowlyticsSdk.IntegrationTests.Security;

/// <summary>
/// The app's <see cref="TimeProvider"/> throws for a moment (its timestamps and timers), then works again: whatever the SDK
/// does in the background outlives the fault. The delivery loop and the storage writer log it and go on, so the calls made
/// during and after it are delivered and <see cref="GrowlyticsClient.FlushAsync"/> waits for them.
/// </summary>
public sealed class ThrowingTimeProviderTests : IAsyncLifetime, IDisposable
{
    private const int PerRound = 5;
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

    [Fact]
    public Task Deliver_TimeProviderThrowsForAMoment_TheDeliveryLoopGoesOnAndFlushWaitsForEveryCall() =>
        RunAsync(storage: null, faultEvents: [2010]);

    [Fact]
    public Task Deliver_TimeProviderThrowsForAMoment_WithStorage_TheWriterAndTheLoopGoOn() =>
        RunAsync(storage: _folder.Sub("store"), faultEvents: [2010, 4010]);

    private async Task RunAsync(string? storage, int[] faultEvents)
    {
        var options = new GrowlyticsOptions
        {
            ApiKey = "clock-test-key-7731",
            Endpoint = _server.BaseUri,
            FlushInterval = TimeSpan.FromMilliseconds(50),
            RequestTimeout = TimeSpan.FromSeconds(5),
            RetryBaseDelay = TimeSpan.FromMilliseconds(10),
            MaxRetryDelay = TimeSpan.FromMilliseconds(100),
            StorageCommitInterval = TimeSpan.FromMilliseconds(20),
            StorageDirectory = storage,
            TimeProvider = _clock,
            ShutdownTimeout = TimeSpan.FromSeconds(5),
            FlushOnProcessExit = false,
            LoggerFactory = LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Trace).AddProvider(_logs)),
        };
        await using var client = new GrowlyticsClient(options);

        Update(client, "before");
        await FlushAsync(client);
        client.Statistics.Delivered.Should().Be(PerRound);

        // The clock breaks: the next turns of the background work meet it.
        _clock.Broken = true;
        Update(client, "during");
        foreach (var id in faultEvents)
        {
            await EventuallyAsync(() => _logs.Lines.Any(l => l.EventId.Id == id), $"event {id} logged the clock's fault");
        }

        // It works again: nothing the fault met is lost, and nothing later is held back.
        _clock.Broken = false;
        Update(client, "after");
        await FlushAsync(client);

        var statistics = client.Statistics;
        statistics.Enqueued.Should().Be(3 * PerRound);
        statistics.Pending.Should().Be(0, "a flush waits for every call made before it");
        statistics.Delivered.Should().Be(3 * PerRound, "the background work logs a fault of the clock and goes on");
        _server.Requests.Should().HaveCount(3 * PerRound);
    }

    private static void Update(GrowlyticsClient client, string round)
    {
        for (var i = 0; i < PerRound; i++)
        {
            client.Customers.Update($"{round}-{i}", new Dictionary<string, object?> { ["n"] = i });
        }
    }
}
