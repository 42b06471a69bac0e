using System.Collections.Concurrent;
using System.Net;
using GrowlyticsSdk.Delivery;
using GrowlyticsSdk.Tests.TestSupport;

namespace GrowlyticsSdk.Tests.Delivery;

/// <summary>The delay a failed batch's retries choose, against the rest of the traffic (read from the SDK, not the clock).</summary>
public sealed class RetryBackoffTests
{
    private const long Flaky = 1_000;
    private static readonly TimeSpan BaseDelay = TimeSpan.FromMilliseconds(10);

    [Fact]
    public async Task Retry_OtherRequestsSucceedBetweenTheFailures_WaitsAtMostTheBaseDelay()
    {
        var delays = new ConcurrentQueue<TimeSpan>();
        await using var h = NewHarness(delays);
        await WarmUpAsync(h);

        // Each failed attempt answers only once another customer's request was accepted and counted meanwhile.
        var failuresLeft = 9;
        var others = OtherUsers(h, 9);
        var next = 2_000;
        h.Responder = async r =>
        {
            if (!r.Numbers.Contains(Flaky) || Interlocked.Decrement(ref failuresLeft) < 0)
            {
                return new HttpResponseMessage(HttpStatusCode.OK);
            }

            var delivered = h.Client.Statistics.Delivered;
            others.TryDequeue(out var other);
            h.Push(Interlocked.Increment(ref next), other);
            await DeliveryHarness.WaitUntilAsync(() => h.Client.Statistics.Delivered > delivered);
            return new HttpResponseMessage(HttpStatusCode.ServiceUnavailable);
        };

        h.Push(Flaky, "anon-flaky");
        await h.FlushAsync(TimeSpan.FromMilliseconds(5));

        h.Requests.Count(r => r.Numbers.Contains(Flaky)).Should().Be(10);
        delays.Should().HaveCount(9).And.OnlyContain(
            delay => delay <= BaseDelay,
            "the service accepted other requests in between, so no retry waits longer than the base delay");
        h.AssertBalanced().Delivered.Should().Be(20 + 9 + 1);
    }

    [Fact]
    public async Task Retry_NothingElseSucceedsBetweenTheFailures_BackoffKeepsDoubling()
    {
        var delays = new ConcurrentQueue<TimeSpan>();
        await using var h = NewHarness(delays);
        await WarmUpAsync(h);
        var failuresLeft = 9;
        h.Responder = r => Task.FromResult(new HttpResponseMessage(
            r.Numbers.Contains(Flaky) && Interlocked.Decrement(ref failuresLeft) >= 0 ? HttpStatusCode.ServiceUnavailable : HttpStatusCode.OK));

        h.Push(Flaky, "anon-flaky");
        await h.FlushAsync(TimeSpan.FromMilliseconds(20));

        h.Requests.Count(r => r.Numbers.Contains(Flaky)).Should().Be(10);

        // Ceilings 10, 20 ... 2,560 ms with full jitter: all of the last seven at most 25 ms has a chance of about 1 in 50 million.
        delays.Should().HaveCount(9);
        delays.Max().Should().BeGreaterThan(
            TimeSpan.FromMilliseconds(25),
            "only this batch was sending, so nothing says the service is up: the backoff grows as usual");
        h.AssertBalanced().Delivered.Should().Be(21);
    }

    private static DeliveryHarness NewHarness(ConcurrentQueue<TimeSpan> delays) => new(o =>
    {
        o.MaxBatchSize = 1;
        o.MaxRetryAttempts = 9;
        o.RetryBaseDelay = BaseDelay;
        o.MaxRetryDelay = TimeSpan.FromSeconds(30);
        o.RetryDelayObserver = delays.Enqueue;
    });

    // 20 accepted requests: enough history for failures to be known as a minority.
    private static async Task WarmUpAsync(DeliveryHarness h)
    {
        for (var i = 0; i < 20; i++)
        {
            h.Push(i, "anon-" + i);
        }

        await h.FlushAsync(TimeSpan.FromMilliseconds(10));
    }

    // Customers whose partition is not the flaky one's (they must not wait behind its retries).
    private static ConcurrentQueue<string> OtherUsers(DeliveryHarness h, int count)
    {
        var partitions = new PartitionSet(PartitionSet.CountFor(h.Options));
        var flaky = partitions.PartitionOf("anon-flaky");
        return new ConcurrentQueue<string>(
            Enumerable.Range(0, 1_000).Select(i => "anon-other-" + i).Where(id => partitions.PartitionOf(id) != flaky).Take(count));
    }
}
