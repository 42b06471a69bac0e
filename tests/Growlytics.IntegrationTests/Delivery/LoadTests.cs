using static GrowlyticsSdk.IntegrationTests.TestSupport;

namespace GrowlyticsSdk.IntegrationTests.Delivery;

/// <summary>Many producers at once, random faults, outages and shutdown: nothing lost, nothing thrown, memory bounded.</summary>
public sealed class LoadTests
{
    [Fact]
    public async Task Send_20ConcurrentProducersUnderRandomFaults_All20000MessagesDelivered()
    {
        const int producers = 20, perProducer = 1_000, total = producers * perProducer;
        await using var collector = await FaultyCollector.StartAsync();
        var random = new Random(20);
        collector.Script = _ =>
        {
            lock (random)
            {
                // About one request in eight fails; slow responses are rare because each costs a RequestTimeout.
                return random.Next(200) switch
                {
                    < 10 => Fault.Http(503),
                    < 16 => Fault.Http(429, retryAfterSeconds: 0),
                    < 24 => Fault.ResetAfterRead,
                    < 25 => Fault.SlowResponse,
                    _ => Fault.None,
                };
            }
        };
        var options = FastOptions(collector.Endpoint);
        options.MaxQueueSize = total;
        await using var client = new GrowlyticsClient(options);

        await Task.WhenAll(Enumerable.Range(0, producers).Select(p => Task.Run(() =>
        {
            using (client.BeginScope())
            {
                for (var i = 0; i < perProducer; i++)
                {
                    client.User.Push(Number((p * perProducer) + i));
                }
            }
        })));
        await FlushAsync(client);

        collector.ShouldHaveDeliveredExactly(client, total);
        collector.Numbers.Values.Select(int.Parse).Order().Should().Equal(Enumerable.Range(0, total), "every producer's every message arrived");
        collector.FailedRequests.Should().BeGreaterThan(0, "the script injected faults");
    }

    [Fact]
    public async Task Send_OutageLongerThanRetryBudget_CallersNeverThrowQueueStaysBoundedAndDeliveryResumes()
    {
        await using var collector = await FaultyCollector.StartAsync();
        await collector.StopAsync();
        var options = FastOptions(collector.Endpoint);
        options.MaxQueueSize = 500;
        options.MaxBatchSize = 50;
        options.RetryBudget = TimeSpan.FromMilliseconds(300);
        options.RequestTimeout = TimeSpan.FromMilliseconds(300);
        await using var client = new GrowlyticsClient(options);
        using var stop = new CancellationTokenSource();
        long maxPending = 0;
        var pushed = new int[4];

        var producers = Enumerable.Range(0, pushed.Length).Select(p => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                client.User.Push(Number(pushed[p]++));
                if (pushed[p] % 20 == 0)
                {
                    InterlockedMax(ref maxPending, client.Statistics.Pending);
                    await Task.Delay(1);
                }
            }
        })).ToArray();

        try
        {
            await EventuallyAsync(
                () => client.Statistics.DroppedByReason[DropReason.RetriesExhausted] > 0 && client.Statistics.DroppedByReason[DropReason.QueueFull] > 0,
                "batches outlived the retry budget and the queue overflowed");
            await collector.RestartAsync();
            await EventuallyAsync(() => collector.Acknowledged.Count >= 500, "delivery resumed");
        }
        finally
        {
            await stop.CancelAsync();
        }

        await Task.WhenAll(producers);
        await FlushAsync(client);

        var statistics = client.Statistics;
        statistics.Enqueued.Should().Be(pushed.Sum());
        statistics.Enqueued.Should().Be(statistics.Delivered + statistics.Dropped, "after the flush nothing is pending");
        // With a 300 ms retry budget, a request the budget gives up on while it is on the wire may still have reached the
        // collector (on a busy machine it does): counted RetriesExhausted by the client, acknowledged by the collector.
        // Nothing is ever counted delivered that the collector did not acknowledge.
        var givenUpOnTheWire = collector.Acknowledged.Count - statistics.Delivered;
        givenUpOnTheWire.Should().BeInRange(0, statistics.DroppedByReason[DropReason.RetriesExhausted]);
        statistics.Dropped.Should().Be(
            statistics.DroppedByReason[DropReason.QueueFull] + statistics.DroppedByReason[DropReason.RetriesExhausted],
            "an outage only overflows the queue or exhausts retries");
        maxPending.Should().BeLessThanOrEqualTo(options.MaxQueueSize + options.MaxBatchSize, "memory is bounded by the queue plus the batch in flight");
    }

    [Fact]
    public async Task DisposeAsync_10000Queued_AllDeliveredWithinShutdownTimeout()
    {
        await using var collector = await FaultyCollector.StartAsync();
        collector.Script = r => r.Number is 2 or 5 ? Fault.Http(503) : Fault.None;
        var options = FastOptions(collector.Endpoint);
        options.FlushInterval = TimeSpan.FromHours(1);
        options.ShutdownTimeout = TimeSpan.FromSeconds(15);
        var client = new GrowlyticsClient(options);
        for (var i = 0; i < 10_000; i++)
        {
            client.User.Push(Number(i));
        }

        var shutdown = System.Diagnostics.Stopwatch.StartNew();
        await client.DisposeAsync();
        shutdown.Stop();

        collector.ShouldHaveDeliveredExactly(client, 10_000);
        client.Statistics.DroppedByReason[DropReason.Shutdown].Should().Be(0);
        shutdown.Elapsed.Should().BeLessThan(options.ShutdownTimeout);
    }

    private static void InterlockedMax(ref long target, long value)
    {
        var current = Interlocked.Read(ref target);
        while (value > current && Interlocked.CompareExchange(ref target, value, current) != current)
        {
            current = Interlocked.Read(ref target);
        }
    }
}
