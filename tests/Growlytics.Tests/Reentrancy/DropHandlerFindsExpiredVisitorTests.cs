using GrowlyticsSdk.Tests.TestSupport.Caller;

namespace GrowlyticsSdk.Tests.Reentrancy;

/// <summary>
/// A <see cref="GrowlyticsClient.MessageDropped"/> handler's own call dropped at the call is not reported back to it. Another
/// visitor's held pushes (REST) that had expired and that the handler's call happens to find (expiry is checked on every
/// access, as well as by the sweep) are no drop of that call: they are reported, as the sweep would have reported them.
/// </summary>
public sealed class DropHandlerFindsExpiredVisitorTests
{
    private static readonly TimeSpan RealBound = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan Retention = TimeSpan.FromMinutes(8);
    private static readonly TimeSpan SweepPeriod = TimeSpan.FromMinutes(1);

    [Fact]
    public async Task AHandlersPush_ThatFindsAnotherVisitorExpired_HasThatExpiryReported()
    {
        using var harness = new CallerHarness(o =>
        {
            o.Protocol = GrowlyticsProtocol.Rest;
            o.AnonymousAttributeRetention = Retention;
            o.MaxQueueSize = 1;
        });
        var client = harness.Client;
        long reported = 0;
        var handlerCalls = 0;
        client.MessageDropped += (_, e) =>
        {
            Interlocked.Add(ref reported, e.Count);
            if (Interlocked.Increment(ref handlerCalls) == 1)
            {
                // A new visitor's push (held for a login): the store checks expiry as it takes it, and finds A expired.
                using (client.BeginScope(null))
                {
                    client.User.Push(new Dictionary<string, object?> { ["fromHandler"] = 1 });
                }
            }
        };

        // Visitor A, last active half a sweep period after the sweep timer started: it expires between two sweeps.
        using (client.BeginScope("visitor-a"))
        {
            client.User.Push(new Dictionary<string, object?> { ["plan"] = "free" });
            harness.Time.Advance(SweepPeriod / 2);
            client.User.Push(new Dictionary<string, object?> { ["plan"] = "pro" });
        }

        // In half periods: a fake timer's callback reads the time the advance ends at, so each sweep runs at its own time.
        for (var i = 0; i < 16; i++)
        {
            harness.Time.Advance(SweepPeriod / 2);
        }

        harness.Time.Advance(TimeSpan.FromSeconds(1));
        client.HeldStore!.Count.Should().Be(1, "A expired after the last sweep, which has not run since");

        // The app's drop that raises the handler: a full queue (delivery never starts).
        client.Customers.Update("c1", new Dictionary<string, object?> { ["a"] = 1 });
        client.Customers.Update("c2", new Dictionary<string, object?> { ["a"] = 1 });
        await WaitUntilAsync(() => Volatile.Read(ref handlerCalls) >= 1);
        await client.DropsReportedAsync().WaitAsync(RealBound);

        var stats = client.Statistics;
        stats.DroppedByReason[DropReason.AnonymousExpired].Should().Be(2, "A's two pushes expired");
        Interlocked.Read(ref reported).Should().Be(stats.Dropped, "A's expiry is no drop of the handler's own call: it is reported as the sweep would have reported it");
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + RealBound;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException();
            }

            await Task.Delay(5);
        }
    }
}
