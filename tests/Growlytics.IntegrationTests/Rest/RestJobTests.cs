using System.Collections.Concurrent;
using System.Diagnostics;
using static GrowlyticsSdk.IntegrationTests.TestSupport;

namespace GrowlyticsSdk.IntegrationTests.Rest;

/// <summary>
/// A job that syncs many customers through <see cref="GrowlyticsCustomers.UpdateAsync(string, IReadOnlyDictionary{string, object}, CancellationToken)"/>
/// with a small queue: every await waits for room instead of dropping, and each customer's updates reach the collector in
/// call order while different customers go out concurrently. Runs alone: it keeps both cores busy.
/// </summary>
[Collection(EngineCollection.Name)]
public sealed class RestJobTests
{
    private const int Customers = 2_000;
    private const int UpdatesPerCustomer = 10;

    [Fact]
    public async Task Job_20000AwaitedUpdatesFor2000CustomersWithAQueueOf100_NoneDroppedAllDeliveredInCallOrderPerCustomer()
    {
        await using var collector = await RestCollector.StartAsync();
        var arrived = new ConcurrentDictionary<string, ConcurrentQueue<int>>();
        collector.OnUpsert = upsert =>
        {
            var sequence = upsert.GetProperty("attributes").EnumerateArray().Single(a => a.GetProperty("name").GetString() == "seq").GetProperty("value").GetInt32();
            arrived.GetOrAdd(upsert.GetProperty("id").GetString()!, _ => new ConcurrentQueue<int>()).Enqueue(sequence);
        };
        var dropped = 0;
        var options = new GrowlyticsOptions { ApiKey = RestCollector.ApiKey, Endpoint = collector.Endpoint, MaxQueueSize = 100 };
        var clock = Stopwatch.StartNew();
        await using (var client = new GrowlyticsClient(options))
        {
            client.MessageDropped += (_, e) => Interlocked.Add(ref dropped, e.Count);

            // Customer after customer, round after round: each customer's next update is queued while its last may be in flight.
            for (var seq = 0; seq < UpdatesPerCustomer; seq++)
            {
                for (var customer = 0; customer < Customers; customer++)
                {
                    await client.Customers.UpdateAsync(
                        $"cust-{customer:D4}",
                        new Dictionary<string, object?> { ["seq"] = seq, ["synced"] = true });
                }
            }

            await client.FlushAsync().WaitAsync(TimeSpan.FromSeconds(50));
            var statistics = client.Statistics;
            (statistics.Enqueued, statistics.Delivered, statistics.Dropped, statistics.Pending)
                .Should().Be((Customers * UpdatesPerCustomer, Customers * UpdatesPerCustomer, 0, 0), "an awaited update waits for room instead of being dropped");
            statistics.BatchesSent.Should().Be(Customers * UpdatesPerCustomer, "one customer per request");
        }

        dropped.Should().Be(0);
        collector.Requests.Should().HaveCount(Customers * UpdatesPerCustomer).And.OnlyContain(r => r.Status == 200, "nothing is sent twice or refused");
        arrived.Should().HaveCount(Customers);
        foreach (var (id, sequences) in arrived)
        {
            sequences.Should().Equal(Enumerable.Range(0, UpdatesPerCustomer), $"{id}'s updates arrive in call order");
        }

        clock.Elapsed.Should().BeLessThan(Deadline, "the job is bounded in time");
    }
}
