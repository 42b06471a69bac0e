namespace GrowlyticsSdk.Tests.Storage;

/// <summary>
/// Messages kept after their retries ran out pause before they are tried again. At shutdown a pause that ends by the
/// deadline, after a refusal the service answered, is waited for and the messages go then; one that ends past the
/// deadline, or follows attempts the service did not answer with no answer since, is not: the messages stay in the
/// storage folder for the next start.
/// </summary>
public sealed class KeptAtShutdownTests : StorageTestBase
{
    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(100);

    [Fact]
    public async Task Shutdown_KeptAfterARefusal_PauseEndsBeforeTheDeadline_SentThen()
    {
        var (collector, client, took) = await KeepFiftyThenShutDownAsync(maxRetryDelay: TimeSpan.FromSeconds(1), shutdownTimeout: TimeSpan.FromSeconds(10));

        collector.Numbers.Should().HaveCount(50, "the pause ended 1 s into a 10 s shutdown, and the service answers");
        (client.Statistics.Delivered, client.Statistics.Pending, client.Statistics.Dropped).Should().Be((50, 0, 0));
        took.Should().BeLessThan(TimeSpan.FromSeconds(5), "the shutdown ends once they are delivered");
    }

    [Fact]
    public async Task Shutdown_KeptAfterARefusal_PauseEndsPastTheDeadline_StoredForTheNextStart()
    {
        var (collector, client, took) = await KeepFiftyThenShutDownAsync(maxRetryDelay: TimeSpan.FromSeconds(30), shutdownTimeout: TimeSpan.FromSeconds(5));

        collector.Numbers.Should().BeEmpty();
        (client.Statistics.Delivered, client.Statistics.Pending, client.Statistics.Dropped).Should().Be((0, 50, 0), "they stay in the folder");
        took.Should().BeLessThan(TimeSpan.FromSeconds(1), "nothing could go before the deadline");
    }

    [Fact]
    public async Task Shutdown_KeptAfterNoAnswer_PauseEndsBeforeTheDeadline_StoredForTheNextStart()
    {
        // The first request finds the service down (a refused connection); nothing answers after it.
        var collector = new StorageCollector { Up = false };
        var client = NewClient(collector, o =>
        {
            o.MaxRetryDelay = TimeSpan.FromSeconds(1);
            o.ShutdownTimeout = TimeSpan.FromSeconds(10);
        });
        PushNumbers(client, 0, 50);
        await client.FlushAsync().WaitAsync(TimeSpan.FromSeconds(20));
        collector.Attempts.Should().Be(1);
        collector.Up = true;

        var started = Time.GetUtcNow();
        var shutdown = client.ShutdownAsync();
        await DriveUntilAsync(() => shutdown.IsCompleted, Step);

        collector.Numbers.Should().BeEmpty("a retry after attempts nothing answered, with no answer since, is not waited for");
        (client.Statistics.Delivered, client.Statistics.Pending, client.Statistics.Dropped).Should().Be((0, 50, 0));
        (Time.GetUtcNow() - started).Should().BeLessThan(TimeSpan.FromSeconds(1));
    }

    [Fact]
    public async Task Shutdown_KeptInMemoryAfterARefusal_PauseEndsBeforeTheDeadline_SentThenNotDropped()
    {
        // Every write fails: the kept messages are in memory only, where the shutdown would count them dropped.
        var collector = RefusingTheFirstRequest(out var refused);
        var client = NewClient(collector, o =>
        {
            o.StorageWriteFault = () => new IOException("No space left on device");
            o.MaxRetryDelay = TimeSpan.FromSeconds(1);
            o.ShutdownTimeout = TimeSpan.FromSeconds(10);
        });
        PushNumbers(client, 0, 50);
        await DriveUntilAsync(() => Volatile.Read(ref refused[0]) == 1 && client.Dispatcher.StagedCount == 50, TimeSpan.FromMilliseconds(10));

        var shutdown = client.ShutdownAsync();
        await DriveUntilAsync(() => shutdown.IsCompleted, Step);

        collector.Numbers.Should().HaveCount(50);
        (client.Statistics.Delivered, client.Statistics.Pending, client.Statistics.Dropped).Should().Be((50, 0, 0));
    }

    [Fact]
    public async Task Shutdown_PauseEndsBeforeTheDeadline_WhileAnotherBatchWaitsForARetryPastIt_KeptMessagesSentThen()
    {
        // The first two requests (the user's fifty, and their one retry) are answered 503: kept, paused 5 s.
        var refusals = 0;
        var collector = new StorageCollector { Up = true, Refuse = numbers => numbers.Contains(0) && Interlocked.Increment(ref refusals) <= 2 };
        var throttle = new ThrottleOnce(collector);
        var client = NewClient(collector, o =>
        {
            o.HttpClient = new HttpClient(throttle);
            o.MaxRetryAttempts = 1;
            o.RetryBaseDelay = TimeSpan.FromMilliseconds(100);
            o.MaxRetryDelay = TimeSpan.FromSeconds(5);
            o.FlushInterval = TimeSpan.FromMilliseconds(100);
            o.ShutdownTimeout = TimeSpan.FromSeconds(4);
        });
        PushNumbers(client, 0, 50);
        await DriveUntilAsync(() => Volatile.Read(ref refusals) >= 2 && client.Dispatcher.StagedCount == 50 && client.Statistics.Pending == 50, Step);
        await Task.Delay(100);

        // 2 s into the 5 s pause another customer's request is answered 503 "Retry-After: 5": its retry is due about 7 s
        // after the pause began, past the shutdown's deadline (2.x + 4 s), while the pause ends before it.
        for (var i = 0; i < 20; i++)
        {
            Time.Advance(Step);
            await Task.Delay(5);
        }

        Volatile.Write(ref throttle.Armed, 1);
        client.Customers.Update("customer-b", new Dictionary<string, object?> { ["n"] = 1000 });
        await DriveUntilAsync(() => Volatile.Read(ref throttle.Armed) == 0, Step);
        await WrittenAsync(client);

        var shutdown = client.ShutdownAsync();
        await DriveUntilAsync(() => shutdown.IsCompleted, Step);

        collector.Numbers.Should().BeEquivalentTo(Enumerable.Range(0, 50).Select(n => (long)n), "the pause ended before the deadline: the kept messages went then");
        (client.Statistics.Delivered, client.Statistics.Pending, client.Statistics.Dropped).Should().Be((50, 1, 0), "the other customer's message stays in the folder");
        ShouldBeBalanced(client.Statistics);
    }

    // Answers the first request after Armed is set 503 with "Retry-After: 5", unrecorded; the others go to the collector
    // after 50 ms (real time).
    private sealed class ThrottleOnce(HttpMessageHandler inner) : DelegatingHandler(inner)
    {
        public int Armed;

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (Interlocked.Exchange(ref Armed, 0) == 1)
            {
                var response = new HttpResponseMessage(System.Net.HttpStatusCode.ServiceUnavailable);
                response.Headers.RetryAfter = new System.Net.Http.Headers.RetryConditionHeaderValue(TimeSpan.FromSeconds(5));
                return response;
            }

            // A real service takes a moment to answer (real time: the fake clock does not move for it).
            await Task.Delay(50, cancellationToken);
            return await base.SendAsync(request, cancellationToken);
        }
    }

    // Fifty messages kept after a refusal (see KeepFiftyAsync), then a shutdown, the fake clock moved until it ends: how long
    // it took on that clock.
    private async Task<(StorageCollector Collector, GrowlyticsClient Client, TimeSpan Took)> KeepFiftyThenShutDownAsync(TimeSpan maxRetryDelay, TimeSpan shutdownTimeout)
    {
        var collector = RefusingTheFirstRequest(out var refused);
        var client = NewClient(collector, o =>
        {
            o.MaxRetryDelay = maxRetryDelay;
            o.ShutdownTimeout = shutdownTimeout;
        });
        await KeepFiftyAsync(client, refused);

        var started = Time.GetUtcNow();
        var shutdown = client.ShutdownAsync();
        await DriveUntilAsync(() => shutdown.IsCompleted, Step);
        return (collector, client, Time.GetUtcNow() - started);
    }

    // Answers the first request 503 (a refusal the service answered) and accepts every later one.
    private static StorageCollector RefusingTheFirstRequest(out int[] refused)
    {
        var count = new int[1];
        refused = count;
        return new StorageCollector { Up = true, Refuse = _ => Interlocked.Increment(ref count[0]) == 1 };
    }

    // Fifty messages in one request, refused: out of retries (the tests' MaxRetryAttempts is 0), kept in the folder, and
    // paused for MaxRetryDelay (nothing was delivered before). The fake clock does not move: the pause has not ended.
    private static async Task KeepFiftyAsync(GrowlyticsClient client, int[] refused)
    {
        PushNumbers(client, 0, 50);
        await client.FlushAsync().WaitAsync(TimeSpan.FromSeconds(20));
        Volatile.Read(ref refused[0]).Should().Be(1);
        client.Statistics.Pending.Should().Be(50);
    }
}
