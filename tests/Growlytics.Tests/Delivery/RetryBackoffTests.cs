using System.Collections.Concurrent;
using System.Net;
using GrowlyticsSdk.Delivery;
using GrowlyticsSdk.Tests.TestSupport;

namespace GrowlyticsSdk.Tests.Delivery;

/// <summary>How long a failed batch waits between attempts, against the rest of the traffic.</summary>
public sealed class RetryBackoffTests
{
    private const long Flaky = 1_000;

    [Fact]
    public async Task Retry_OtherRequestsSucceedBetweenTheFailures_WaitsAtMostTheBaseDelay()
    {
        await using var h = NewHarness();
        await WarmUpAsync(h);

        // Each failed attempt answers only once another customer's request was accepted and counted meanwhile.
        var failuresLeft = 9;
        var failedAt = new ConcurrentQueue<DateTimeOffset>();
        var others = OtherUsers(h, 9);
        h.Responder = async r =>
        {
            if (!r.Numbers.Contains(Flaky) || Interlocked.Decrement(ref failuresLeft) < 0)
            {
                return new HttpResponseMessage(HttpStatusCode.OK);
            }

            var delivered = h.Client.Statistics.Delivered;
            others.TryDequeue(out var other);
            h.Push(2_000 + failedAt.Count, other);
            await DeliveryHarness.WaitUntilAsync(() => h.Client.Statistics.Delivered > delivered);
            failedAt.Enqueue(h.Time.GetUtcNow());
            return new HttpResponseMessage(HttpStatusCode.ServiceUnavailable);
        };

        // The clock moves 1 ms per real millisecond or more, so a busy machine adds little fake time to a wait.
        h.Push(Flaky, "anon-flaky");
        await h.FlushAsync(TimeSpan.FromMilliseconds(1));

        var attempts = h.Requests.Where(r => r.Numbers.Contains(Flaky)).Select(r => r.At).ToList();
        attempts.Should().HaveCount(10);
        var waits = failedAt.Zip(attempts.Skip(1), (failed, next) => next - failed).ToList();
        waits.Should().HaveCount(9).And.OnlyContain(
            wait => wait <= TimeSpan.FromMilliseconds(200),
            "the service accepted other requests in between, so each wait is at most the 100 ms base (plus the time the machine takes)");
        h.AssertBalanced().Delivered.Should().Be(20 + 9 + 1);
    }

    [Fact]
    public async Task Retry_NothingElseSucceedsBetweenTheFailures_BackoffKeepsDoubling()
    {
        await using var h = NewHarness();
        await WarmUpAsync(h);
        var failuresLeft = 9;
        var failedAt = new ConcurrentQueue<DateTimeOffset>();
        h.Responder = r =>
        {
            if (!r.Numbers.Contains(Flaky) || Interlocked.Decrement(ref failuresLeft) < 0)
            {
                return Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK));
            }

            failedAt.Enqueue(h.Time.GetUtcNow());
            return Task.FromResult(new HttpResponseMessage(HttpStatusCode.ServiceUnavailable));
        };

        h.Push(Flaky, "anon-flaky");
        await h.FlushAsync(TimeSpan.FromMilliseconds(50));

        var attempts = h.Requests.Where(r => r.Numbers.Contains(Flaky)).Select(r => r.At).ToList();
        attempts.Should().HaveCount(10);
        var waits = failedAt.Zip(attempts.Skip(1), (failed, next) => next - failed).ToList();

        // Ceilings 0.1, 0.2 ... 25.6 s with full jitter: all of the last seven under 0.25 s has a chance of about 1 in 50 million.
        waits.Max().Should().BeGreaterThan(
            TimeSpan.FromMilliseconds(250),
            "only this batch was sending, so nothing says the service is up: the backoff grows as usual");
        h.AssertBalanced().Delivered.Should().Be(21);
    }

    private static DeliveryHarness NewHarness() => new(o =>
    {
        o.MaxBatchSize = 1;
        o.MaxRetryAttempts = 9;
        o.RetryBaseDelay = TimeSpan.FromMilliseconds(100);
        o.MaxRetryDelay = TimeSpan.FromSeconds(30);
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
        var partitions = new PartitionSet(Math.Max(256, 16 * h.Options.EffectiveMaxConcurrentRequests));
        var flaky = partitions.PartitionOf("anon-flaky");
        return new ConcurrentQueue<string>(
            Enumerable.Range(0, 1_000).Select(i => "anon-other-" + i).Where(id => partitions.PartitionOf(id) != flaky).Take(count));
    }
}
