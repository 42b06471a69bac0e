using static GrowlyticsSdk.IntegrationTests.RequestLogChecks;
using static GrowlyticsSdk.IntegrationTests.TestSupport;

namespace GrowlyticsSdk.IntegrationTests.Delivery;

/// <summary>
/// The partition invariant, property-style: for each seed the collector answers a request 503, resets it, answers it
/// slowly, or asks to slow down (429), as a function of the seed and the request's number; whatever the mix, a user's
/// messages are never in two requests at once, arrive in call order, and the figures balance.
/// </summary>
[Collection(EngineCollection.Name)]
public sealed class OrderUnderFaultsTests
{
    [Theory]
    [InlineData(1, 60, 40, 25)]
    [InlineData(2, 60, 40, 25)]
    [InlineData(3, 60, 40, 25)]
    [InlineData(4, 60, 40, 25)]

    // A few users with many requests each: their next requests are written while the ones before are on the wire.
    [InlineData(5, 3, 300, 10)]
    [InlineData(6, 3, 300, 10)]
    public async Task Send_RandomFaultsBySeed_UsersMessagesNeverInOverlappingRequestsAndInCallOrder(int seed, int users, int perUser, int batchSize)
    {
        var producers = Math.Min(6, users);
        var total = users * perUser;
        await using var collector = await FaultyCollector.StartAsync();
        collector.Script = r => FaultFor(seed, r.Number);
        var options = FastOptions(collector.Endpoint);

        // Longer than any slow answer here: a client that timed out would resend while the collector still held the
        // first copy, which looks like an overlap without being one.
        options.RequestTimeout = TimeSpan.FromSeconds(10);
        options.MaxBatchSize = batchSize;
        await using var client = new GrowlyticsClient(options);
        var ids = Enumerable.Range(0, users).Select(u => $"s{seed}-user-{u}").ToArray();

        // Each producer owns some users and interleaves them; a user's calls come from one producer, in order.
        await Task.WhenAll(Enumerable.Range(0, producers).Select(p => Task.Run(async () =>
        {
            var mine = ids.Where((_, u) => u % producers == p).ToArray();
            for (var i = 0; i < perUser; i++)
            {
                foreach (var id in mine)
                {
                    using (client.BeginScope(id))
                    {
                        client.User.Push(Number(i));
                    }
                }

                if (i % 10 == 9)
                {
                    await Task.Delay(20);
                }
            }
        })));
        await FlushAsync(client);

        var log = collector.RequestLog;
        collector.ShouldHaveDeliveredExactly(client, total);
        client.Statistics.ShouldBeSettledAndBalanced();
        collector.FailedRequests.Should().BeGreaterThan(0, "the seed injected faults");
        if (perUser >= 4 * batchSize)
        {
            client.Dispatcher.WrittenAheadSent.Should().BeGreaterThan(0, "a user with more than one request staged has its next one written ahead");
        }

        OverlapsPerUser(log).Should().BeEmpty("a user's messages are never in two requests at once (seed {0})", seed);
        var order = FirstDeliveriesPerUser(log);
        order.Should().HaveCount(users);
        order.Values.Should().AllSatisfy(sequence => sequence.Should().Equal(Enumerable.Range(0, perUser), "first deliveries follow call order (seed {0})", seed));
        collector.Ambiguous.Keys.Should().BeSubsetOf(collector.Acknowledged.Keys, "a copy without an answer is resent until acknowledged");
        foreach (var reset in log.Where(r => r.Status == 0))
        {
            var batch = reset.Messages.Select(m => m.MessageId).ToList();
            log.Should().Contain(
                r => r.Start > reset.End && r.Messages.Select(m => m.MessageId).SequenceEqual(batch),
                "a duplicate comes only from resending the same batch after request {0} got no answer (seed {1})",
                reset.Number,
                seed);
        }
    }

    /// <summary>The fault for one request: a function of the seed and the request's number only.</summary>
    private static Fault FaultFor(int seed, int number)
    {
        var random = new Random((seed * 100_003) + number);
        return random.Next(100) switch
        {
            < 15 => Fault.Http(503),
            < 22 => Fault.ResetAfterRead,
            < 32 => Fault.Delayed(TimeSpan.FromMilliseconds(random.Next(20, 150))),
            < 34 => Fault.Http(429, retryAfterSeconds: 0),
            _ => Fault.None,
        };
    }
}
