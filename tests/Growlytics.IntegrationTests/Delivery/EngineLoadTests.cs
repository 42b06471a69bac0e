using System.Diagnostics;
using static GrowlyticsSdk.IntegrationTests.RequestLogChecks;
using static GrowlyticsSdk.IntegrationTests.TestSupport;

namespace GrowlyticsSdk.IntegrationTests.Delivery;

/// <summary>Bursts, many concurrent users and partial failure with default settings: nothing lost, order kept, goodput kept.</summary>
[Collection(EngineCollection.Name)]
public sealed class EngineLoadTests
{
    private const int Burst = 50_000;

    [Fact]
    public async Task Push_50000UpdatesFromOneThreadWithDefaults_AllDeliveredNoneDropped()
    {
        await using var collector = await FaultyCollector.StartAsync();
        await using var client = new GrowlyticsClient(Defaults(collector.Endpoint));

        PushBurst(client);
        client.Statistics.Dropped.Should().Be(0, "the memory stage holds a 50,000-update burst");
        await FlushAsync(client);

        collector.ShouldHaveDeliveredExactly(client, Burst);
        collector.Numbers.Values.Select(int.Parse).Order().Should().Equal(Enumerable.Range(0, Burst));
    }

    [Fact]
    public async Task Push_50000UpdatesFromOneThreadWithStorage_AllDeliveredNoneDropped()
    {
        using var folder = new TempFolder();
        await using var collector = await FaultyCollector.StartAsync();
        var options = Defaults(collector.Endpoint);
        options.StorageDirectory = folder.Sub("storage");
        await using var client = new GrowlyticsClient(options);

        PushBurst(client);
        client.Statistics.Dropped.Should().Be(0, "the disk (and memory while the writer catches up) absorbs the burst");

        // With storage a flush means "on disk"; delivery is awaited separately.
        await FlushAsync(client);
        await EventuallyAsync(() => client.Statistics is { Pending: 0, Delivered: Burst }, "the burst was delivered from storage");

        collector.ShouldHaveDeliveredExactly(client, Burst);
        collector.Numbers.Values.Select(int.Parse).Order().Should().Equal(Enumerable.Range(0, Burst));
    }

    [Fact]
    public async Task Push_100UsersX200UpdatesFromConcurrentTasks_All20000DeliveredInEachUsersOrder()
    {
        const int users = 100, perUser = 200;
        await using var collector = await FaultyCollector.StartAsync();
        await using var client = new GrowlyticsClient(Defaults(collector.Endpoint));

        await Task.WhenAll(Enumerable.Range(0, users).Select(_ => Task.Run(() =>
        {
            using (client.BeginScope())
            {
                for (var i = 0; i < perUser; i++)
                {
                    client.User.Push(ThreeAttributes(i));
                }
            }
        })));
        client.Statistics.Dropped.Should().Be(0);
        await FlushAsync(client);

        collector.ShouldHaveDeliveredExactly(client, users * perUser);
        var perUserOrder = FirstDeliveriesPerUser(collector.RequestLog);
        perUserOrder.Should().HaveCount(users, "each task had its own session");
        perUserOrder.Values.Should().AllSatisfy(sequence => sequence.Should().Equal(Enumerable.Range(0, perUser), "a user's updates arrive in call order"));
        OverlapsPerUser(collector.RequestLog).Should().BeEmpty("a user's messages are never in two requests at once");
    }

    [Fact]
    public async Task Send_10And40PercentOfRequestsFailing_AllDeliveredWithinALooseMultipleOfTheHealthyTime()
    {
        var healthy = await TimeDeliveryAsync(_ => false);
        var tenPercent = await TimeDeliveryAsync(number => number % 10 == 0);
        var fortyPercent = await TimeDeliveryAsync(number => number % 10 is 0 or 3 or 6 or 8);

        // A sanity bound only (the figures are the benchmark's): ten times the healthy run, plus 2 s so that a healthy
        // run of a few hundred milliseconds on a loaded machine does not make the bound a coin toss. An engine whose
        // retries stall every user takes tens of seconds here.
        var bound = (healthy * 10) + TimeSpan.FromSeconds(2);
        tenPercent.Should().BeLessThan(bound, "10 % failing requests hold back only their own partitions (healthy: {0} ms)", healthy.TotalMilliseconds);
        fortyPercent.Should().BeLessThan(bound, "40 % failing requests hold back only their own partitions (healthy: {0} ms)", healthy.TotalMilliseconds);
    }

    private static void PushBurst(GrowlyticsClient client)
    {
        var attributes = ThreeAttributes(0);
        for (var i = 0; i < Burst; i++)
        {
            attributes["n"] = i;
            client.User.Push(attributes);
        }
    }

    /// <summary>Delivers 10,000 updates of 200 users, the numbered requests for which <paramref name="fails"/> holds answering 503.</summary>
    private static async Task<TimeSpan> TimeDeliveryAsync(Func<int, bool> fails)
    {
        const int users = 200, perUser = 50;
        await using var collector = await FaultyCollector.StartAsync();
        collector.Script = r => fails(r.Number) ? Fault.Http(503) : Fault.None;
        var options = FastOptions(collector.Endpoint);
        options.RetryBaseDelay = TimeSpan.FromMilliseconds(50);
        options.MaxRetryDelay = TimeSpan.FromMilliseconds(500);
        options.RequestTimeout = TimeSpan.FromSeconds(10);
        await using var client = new GrowlyticsClient(options);
        var ids = Enumerable.Range(0, users).Select(u => $"user-{u}").ToArray();

        var clock = Stopwatch.StartNew();
        for (var i = 0; i < perUser; i++)
        {
            foreach (var id in ids)
            {
                using (client.BeginScope(id))
                {
                    client.User.Push(ThreeAttributes(i));
                }
            }
        }

        await FlushAsync(client);
        clock.Stop();

        collector.ShouldHaveDeliveredExactly(client, users * perUser);
        return clock.Elapsed;
    }
}
