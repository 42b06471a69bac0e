using System.Diagnostics;
using static GrowlyticsSdk.IntegrationTests.RequestLogChecks;
using static GrowlyticsSdk.IntegrationTests.TestSupport;

namespace GrowlyticsSdk.IntegrationTests.Delivery;

/// <summary>Requests in flight at once, as the collector sees them: several, never above the limit, fewer after a 429.</summary>
[Collection(EngineCollection.Name)]
public sealed class ConcurrencyTests
{
    private static readonly TimeSpan Slow = TimeSpan.FromMilliseconds(50);

    [Fact]
    public async Task Send_SlowCollectorThen429sWithRetryAfter_SeveralAtOnceAtMostTheLimitFewerAfter429sThenRecovers()
    {
        const int users = 400, perUser = 50, healthyFirst = 60;
        // Long enough that the window after the limit's second halving (from 1.5 s after the first 429 to the end) holds
        // several of the requests the slowed client still starts (at 2.5 s the window was 1 s, and a loaded machine could
        // start none in it).
        var overloadFor = TimeSpan.FromSeconds(4);
        await using var collector = await FaultyCollector.StartAsync();
        long overloadStart = 0;
        collector.Script = r =>
        {
            // 1..60: slow but fine; then every request is refused with 429 + Retry-After for 4 s; then fine again.
            if (r.Number <= healthyFirst)
            {
                return Fault.Delayed(Slow);
            }

            var now = Stopwatch.GetTimestamp();
            Interlocked.CompareExchange(ref overloadStart, now, 0);
            return now < After(Interlocked.Read(ref overloadStart), overloadFor) ? Fault.Delayed(Slow, 429, retryAfterSeconds: 1) : Fault.Delayed(Slow);
        };
        var options = FastOptions(collector.Endpoint);
        options.MaxConcurrentRequests = 8;
        options.RequestTimeout = TimeSpan.FromSeconds(10);
        options.MaxRetryDelay = TimeSpan.FromMilliseconds(500);
        await using var client = new GrowlyticsClient(options);
        var ids = Enumerable.Range(0, users).Select(u => $"user-{u}").ToArray();

        for (var i = 0; i < perUser; i++)
        {
            foreach (var id in ids)
            {
                using (client.BeginScope(id))
                {
                    client.User.Push(Number(i));
                }
            }
        }

        await FlushAsync(client);

        collector.ShouldHaveDeliveredExactly(client, users * perUser);
        var log = collector.RequestLog;
        var start = Interlocked.Read(ref overloadStart);
        start.Should().NotBe(0, "the collector reached its overload phase");
        var before = MaxConcurrency(log, to: log.Where(r => r.Number <= healthyFirst).Max(r => r.Start) + 1);
        var firstOverload = log.Where(r => r.Status == 429).Min(r => r.End);

        // The limit halves at the first 429 and again a second later (at most once per second): from 1.5 s on it is 2 or less.
        var late = log.Where(r => r.Start >= After(firstOverload, TimeSpan.FromSeconds(1.5)) && r.Start < After(start, overloadFor)).ToList();
        var duringOverload = MaxConcurrency(log, After(firstOverload, TimeSpan.FromSeconds(1.5)), After(start, overloadFor));
        var after = MaxConcurrency(log, After(start, overloadFor + TimeSpan.FromMilliseconds(500)));

        before.Should().BeInRange(2, options.MaxConcurrentRequests, "a slow collector sees several requests at once, never above MaxConcurrentRequests");
        MaxConcurrency(log).Should().BeLessThanOrEqualTo(options.MaxConcurrentRequests, "at no time are more requests in flight");
        late.Should().NotBeEmpty("requests went on (fewer) while the collector refused them");
        duringOverload.Should().BeLessThan(before, "429s with Retry-After lower the concurrency").And.BeLessThanOrEqualTo(options.MaxConcurrentRequests / 2);
        after.Should().BeGreaterThan(duringOverload, "successes grow the concurrency back");
    }
}
