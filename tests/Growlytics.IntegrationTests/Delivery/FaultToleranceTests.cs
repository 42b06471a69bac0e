using System.Diagnostics;
using static GrowlyticsSdk.IntegrationTests.TestSupport;

namespace GrowlyticsSdk.IntegrationTests.Delivery;

/// <summary>One scripted fault at a time, against real Kestrel on 127.0.0.1 and the SDK's own HTTP client.</summary>
public sealed class FaultToleranceTests
{
    [Fact]
    public async Task Send_Batch_RequestAsDocumentedInTheWireProtocol()
    {
        await using var collector = await FaultyCollector.StartAsync();
        var options = FastOptions(new Uri($"http://127.0.0.1:{collector.Port}"));
        await using var client = new GrowlyticsClient(options);

        Push(client, 3);
        await FlushAsync(client);

        collector.ShouldHaveDeliveredExactly(client, 3);
        var request = collector.LastRequest;
        request["method"].Should().Be("POST");
        request["path"].Should().Be("/events/sdk-batch", "a missing trailing slash on the endpoint is added");
        request["x-growlytics-key"].Should().Be(FaultyCollector.ApiKey);
        request["content-encoding"].Should().Be("gzip");
        request["content-type"].Should().Be("application/json; charset=utf-8");
        request["user-agent"].Should().StartWith("growlytics-dotnet/").And.Contain(".NET");
    }

    [Fact]
    public async Task Send_503Bursts_EveryMessageDeliveredOnceAndEachRetryCounted()
    {
        await using var collector = await FaultyCollector.StartAsync();

        // Two bursts of three, far enough apart that the circuit breaker stays closed and every retry is a request.
        collector.Script = r => r.Number is (>= 1 and <= 3) or (>= 7 and <= 9) ? Fault.Http(503) : Fault.None;
        await using var client = new GrowlyticsClient(FastOptions(collector.Endpoint));

        Push(client, 500);
        await FlushAsync(client);

        collector.ShouldHaveDeliveredExactly(client, 500);
        collector.Ambiguous.Should().BeEmpty("a 503 stores nothing, so nothing can arrive twice");
        collector.FailedRequests.Should().Be(6);
        client.Statistics.Retried.Should().BeGreaterThanOrEqualTo(6, "each 503 is retried (a slow machine may add a timeout)");
    }

    [Fact]
    public async Task Send_429WithRetryAfter_WaitsForTheServersDelayCappedByMaxRetryDelay()
    {
        await using var collector = await FaultyCollector.StartAsync();
        collector.Script = r => r.Number == 1 ? Fault.Http(429, retryAfterSeconds: 5) : Fault.None;
        var options = FastOptions(collector.Endpoint);
        options.MaxRetryDelay = TimeSpan.FromMilliseconds(400);
        await using var client = new GrowlyticsClient(options);

        Push(client, 10);
        await FlushAsync(client);

        collector.ShouldHaveDeliveredExactly(client, 10);
        var arrivals = collector.Arrivals;
        var gap = Stopwatch.GetElapsedTime(arrivals[0].Timestamp, arrivals[1].Timestamp);

        // Backoff alone would retry within RetryBaseDelay (10 ms); Retry-After: 5 s capped at MaxRetryDelay is 400 ms.
        gap.Should().BeGreaterThan(TimeSpan.FromMilliseconds(350));
        gap.Should().BeLessThan(TimeSpan.FromSeconds(4), "MaxRetryDelay caps the server's 5 s");
        client.Statistics.Retried.Should().BeGreaterThanOrEqualTo(1);
    }

    [Fact]
    public async Task Send_ConnectionResetAfterTheServerStoredTheBatch_DeliveredAndDuplicatesOnlyFromTheResetRequests()
    {
        await using var collector = await FaultyCollector.StartAsync();
        collector.Script = r => r.Number is 1 or 3 ? Fault.ResetAfterRead : Fault.None;
        await using var client = new GrowlyticsClient(FastOptions(collector.Endpoint));

        Push(client, 300);
        await FlushAsync(client);

        collector.ShouldHaveDeliveredExactly(client, 300);
        collector.Ambiguous.Should().NotBeEmpty("the reset requests were stored before the connection was cut");
        collector.Ambiguous.Keys.Should().BeSubsetOf(collector.Acknowledged.Keys, "the SDK resends the same messageIds, so the duplicates can be removed");
        client.Statistics.Retried.Should().BeGreaterThan(0);
    }

    [Fact]
    public async Task Send_ResponseSlowerThanRequestTimeout_TimesOutRetriesAndDelivers()
    {
        await using var collector = await FaultyCollector.StartAsync();
        collector.Script = r => r.Number == 1 ? Fault.SlowResponse : Fault.None;
        var options = FastOptions(collector.Endpoint);

        // The 50 messages go in one request, sent by the flush: no flush-interval tick may send the first few alone.
        options.FlushInterval = TimeSpan.FromHours(1);
        await using var client = new GrowlyticsClient(options);

        Push(client, 50);
        await FlushAsync(client);

        collector.ShouldHaveDeliveredExactly(client, 50);
        collector.Ambiguous.Should().HaveCount(50, "the slow request held the whole batch");
        collector.Ambiguous.Keys.Should().BeEquivalentTo(collector.Acknowledged.Keys, "the retry resends the same messageIds");
        client.Statistics.Retried.Should().BeGreaterThanOrEqualTo(1);
    }

    [Fact]
    public async Task Send_413ForLargeBodies_SplitsUntilBatchesFitAndDropsOnlyTheMessageThatCannotFit()
    {
        const int limit = 16 * 1024;
        await using var collector = await FaultyCollector.StartAsync();
        collector.Script = r => r.BodyBytes > limit ? Fault.Http(413) : Fault.None;
        var options = FastOptions(collector.Endpoint);
        options.FlushInterval = TimeSpan.FromHours(1);
        await using var client = new GrowlyticsClient(options);

        // Random text barely compresses: 100 such messages are ~50 KB of gzip, a few dozen fit under the limit.
        var random = new Random(7);
        for (var i = 0; i < 200; i++)
        {
            client.User.Push(new Dictionary<string, object?> { ["n"] = i, ["note"] = RandomText(random, 500) });
        }

        var huge = Enumerable.Range(0, 100).ToDictionary(i => $"a{i}", object? (_) => RandomText(random, 500));
        client.User.Push(huge);
        await FlushAsync(client);

        var statistics = client.Statistics;
        statistics.DroppedByReason[DropReason.TooLarge].Should().Be(1, "one message alone is larger than the collector accepts");
        statistics.Delivered.Should().Be(200);
        collector.Acknowledged.Should().HaveCount(200);
        collector.Acknowledged.Values.Should().OnlyContain(n => n == 1);
        collector.Numbers.Values.Select(int.Parse).Order().Should().Equal(Enumerable.Range(0, 200));
        statistics.Enqueued.Should().Be(statistics.Delivered + statistics.Dropped + statistics.Pending);
    }

    [Fact]
    public async Task Send_ServerDownThenBackOnTheSamePort_DeliversEverythingAfterItReturns()
    {
        await using var collector = await FaultyCollector.StartAsync();
        await collector.StopAsync();
        await using var client = new GrowlyticsClient(FastOptions(collector.Endpoint));

        Push(client, 300);
        await EventuallyAsync(() => client.Statistics.Retried >= 3, "the client has retried against the stopped server");
        client.Statistics.Delivered.Should().Be(0);
        await collector.RestartAsync();
        await FlushAsync(client);

        collector.ShouldHaveDeliveredExactly(client, 300);
    }

    private static void Push(GrowlyticsClient client, int count)
    {
        for (var i = 0; i < count; i++)
        {
            client.User.Push(Number(i));
        }
    }

    private static string RandomText(Random random, int length) =>
        string.Create(length, random, (span, r) =>
        {
            for (var i = 0; i < span.Length; i++)
            {
                span[i] = (char)r.Next('!', '~');
            }
        });
}
