using System.Net;
using GrowlyticsSdk.Tests.TestSupport;

namespace GrowlyticsSdk.Tests.Delivery;

/// <summary>
/// What requests hold while they wait, measured as retained managed memory: alone in its collection, so no other test
/// allocates meanwhile.
/// </summary>
[Collection(ProcessStateCollection.Name)]
public sealed class RequestMemoryTests
{
    [Fact]
    public async Task Send_SmallRequestsWaitingOutABackoff_EachHoldsAboutItsOwnBytesNotARequestBuffer()
    {
        await using var h = new DeliveryHarness(o =>
        {
            o.MaxBatchSize = 1;
            o.MaxConcurrentRequests = 8;
            o.RetryBaseDelay = TimeSpan.FromMinutes(1);
            o.MaxRetryDelay = TimeSpan.FromMinutes(1);
        });

        // Half the requests fail (so the circuit stays closed): those wait out a backoff the fake clock never ends.
        h.Responder = r => Task.FromResult(new HttpResponseMessage(r.Numbers.All(n => n % 2 == 0) ? HttpStatusCode.ServiceUnavailable : HttpStatusCode.OK));
        h.Push(-2, "warm-up");
        await DeliveryHarness.WaitUntilAsync(() => h.Requests.Count == 1);
        var before = GC.GetTotalMemory(forceFullCollection: true);

        for (var n = 0; n < 200; n++)
        {
            h.Push(n, "anon-" + n);
        }

        // Until no request has come for a second: users that share a partition with a waiting one wait behind it.
        var seen = -1;
        while (h.Requests.Count != seen)
        {
            seen = h.Requests.Count;
            await Task.Delay(TimeSpan.FromSeconds(1));
        }

        var waiting = h.Requests.Where(r => r.Status == 503).SelectMany(r => r.Numbers).Count(n => n >= 0);
        var held = GC.GetTotalMemory(forceFullCollection: true) - before;

        waiting.Should().BeGreaterThan(50);
        (held / waiting).Should().BeLessThan(32 * 1024, "a one-message request keeps its own few hundred bytes, not a 64 KB buffer, while it waits");
    }
}
