namespace GrowlyticsSdk.Tests.Storage;

/// <summary>
/// Stored messages a storage limit drops leave Pending as they are counted Dropped: a statistics snapshot taken while the
/// storage writer logs the drop (event 4007, the application's logger, which may be slow) balances.
/// </summary>
public sealed class StorageDropStatisticsTests : StorageTestBase
{
    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(200);

    [Fact]
    public async Task Statistics_WhileTheStorageBoundLogsItsDrop_Balance()
    {
        using var entered = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        var logs = new RecordingLoggerFactory();
        var waited = 0;

        // The logger is slow with the first line for stored messages the bound dropped.
        logs.OnEntry = eventId =>
        {
            if (eventId == 4007 && Interlocked.Exchange(ref waited, 1) == 0)
            {
                entered.Set();
                release.Wait(TimeSpan.FromSeconds(30));
            }
        };

        // Delivery does not run: every stored message stays unread in the folder, so the bound's drops are the store's own.
        var client = new GrowlyticsClient(
            new GrowlyticsOptions
            {
                ApiKey = "test-key",
                Protocol = GrowlyticsProtocol.Batch,
                Endpoint = new Uri("http://127.0.0.1:9/"),
                StorageDirectory = Directory,
                MaxStorageBytes = 64 * 1024,
                LoggerFactory = logs,
                HttpClient = new HttpClient(new StorageCollector()),
                TimeProvider = Time,
                FlushOnProcessExit = false,
            },
            startDelivery: false);
        client.Durable!.Start();

        // Calls and the clock are driven off this thread: the fake clock runs the writer's timers on the thread that moves it.
        using var stop = new CancellationTokenSource();
        var drive = Task.Run(async () =>
        {
            var next = 0;
            while (!entered.IsSet && !stop.IsCancellationRequested)
            {
                PushNumbers(client, next, 20);
                next += 20;
                Time.Advance(Step);
                await Task.Delay(5);
            }
        });
        try
        {
            entered.Wait(TimeSpan.FromSeconds(30)).Should().BeTrue("the bound drops the oldest stored messages");

            var statistics = client.Statistics;
            statistics.Dropped.Should().BePositive();
            statistics.Enqueued.Should().Be(
                statistics.Delivered + statistics.Dropped + statistics.Pending,
                "a stored message counted dropped is no longer pending (dropped {0}, pending {1})",
                statistics.Dropped,
                statistics.Pending);
        }
        finally
        {
            stop.Cancel();
            release.Set();
            await drive;
            await ShutDownDrivingAsync(client, Step);
        }
    }
}
