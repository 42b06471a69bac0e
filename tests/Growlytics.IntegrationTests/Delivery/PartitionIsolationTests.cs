using System.Diagnostics;
using GrowlyticsSdk.IntegrationTests.Rest;
using static GrowlyticsSdk.IntegrationTests.TestSupport;

namespace GrowlyticsSdk.IntegrationTests.Delivery;

/// <summary>One user with many messages whose requests are retried does not hold back other users' messages.</summary>
[Collection(EngineCollection.Name)]
public sealed class PartitionIsolationTests
{
    [Fact]
    public async Task Send_OneCustomerWithThousandsOfUpdatesRetried_AnotherCustomersUpdateIsNotHeldBehindThem()
    {
        // Every first attempt for the heavy customer is answered 503 and its retry 200: half its attempts fail, so the
        // circuit stays closed, and each of its updates waits out one backoff. The light customer is always accepted.
        await using var collector = await RestCollector.StartAsync();
        var heavyAttempts = 0;
        collector.StatusFor = id => id == "heavy" && Interlocked.Increment(ref heavyAttempts) % 2 == 1 ? 503 : null;
        var options = new GrowlyticsOptions
        {
            ApiKey = RestCollector.ApiKey,
            Endpoint = collector.Endpoint,
            FlushOnProcessExit = false,
            SessionMode = SessionMode.RequireScope,
        };
        await using var client = new GrowlyticsClient(options);
        for (var i = 0; i < 6_000; i++)
        {
            client.Customers.Update("heavy", Number(i));
        }

        var clock = Stopwatch.StartNew();
        client.Customers.Update("light", Number(0));
        await EventuallyAsync(() => Accepted(collector, "light") == 1 || clock.Elapsed > TimeSpan.FromSeconds(15), "the light customer's update arrived or 15 s passed");

        Accepted(collector, "light").Should().Be(1, "a customer's update waits only for its own earlier updates, not behind another customer's retries");
        clock.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(10));
        Accepted(collector, "heavy").Should().BeLessThan(6_000, "the heavy customer is still being retried: the light update did not wait for all of it");
        await client.ShutdownAsync(new CancellationToken(canceled: true));
    }

    private static int Accepted(RestCollector collector, string id) => collector.Upserts.Count(r => r.Id == id);
}
