using System.Net;
using GrowlyticsSdk.Delivery;
using GrowlyticsSdk.Tests.TestSupport;

namespace GrowlyticsSdk.Tests.Delivery;

/// <summary>
/// A long-running server: one customer's request is retried for a long time while the other customers' updates are
/// delivered. The ticket window keeps a bit for every message read since that customer's, so it grows with the traffic
/// of the wait; once that message is settled it lets go of that room (kept, a wait of one RetryBudget at a busy server's
/// rate left megabytes for the life of the process, and a longer RetryBudget more).
/// </summary>
public sealed class TicketWindowAfterALongRetryTests
{
    [Fact]
    public async Task OneCustomerRetriedWhileOthersAreDelivered_OnceItIsDelivered_TheWindowLetsGoOfTheRoom()
    {
        const int Others = 20_000;
        var released = 0;
        await using var h = new DeliveryHarness(o => o.MaxRetryAttempts = 100);
        h.Responder = r => Task.FromResult(new HttpResponseMessage(
            Volatile.Read(ref released) == 0 && r.Json.Contains("\"stuck\"", StringComparison.Ordinal) ? HttpStatusCode.ServiceUnavailable : HttpStatusCode.OK));

        // The stuck customer's update goes alone (nothing else is queued before the flush interval sends it).
        h.Client.Customers.Update("stuck", new Dictionary<string, object?> { ["n"] = -1 });
        await h.AdvanceUntilAsync(() => h.Requests.Count > 0);
        for (var i = 0; i < Others; i++)
        {
            h.Client.Customers.Update("customer-" + i, new Dictionary<string, object?> { ["n"] = i });
        }

        // The customers whose key falls in the stuck one's partition wait behind it; the others are delivered.
        var partitions = new PartitionSet(h.Client.Dispatcher.PartitionCount);
        var behind = Enumerable.Range(0, Others).Count(i => partitions.PartitionOf("customer-" + i) == partitions.PartitionOf("stuck"));
        await h.AdvanceUntilAsync(() => h.Client.Statistics.Delivered == Others - behind);
        h.Client.Statistics.Pending.Should().Be(1 + behind, "the stuck customer's update is still retried");
        h.Client.Dispatcher.TicketSlots.Should().BeGreaterThan(Others, "the window spans every update read since the stuck one");

        Interlocked.Exchange(ref released, 1);
        await h.FlushAsync();

        h.Client.Statistics.Delivered.Should().Be(Others + 1);
        h.Client.Dispatcher.TicketSlots.Should().BeLessThanOrEqualTo(4096, "nothing is unsettled: the window keeps no more than its first room");

        // Tickets go on being issued and settled in the smaller window.
        for (var i = 0; i < 500; i++)
        {
            h.Client.Customers.Update("customer-" + i, new Dictionary<string, object?> { ["n"] = Others + i });
        }

        await h.FlushAsync();
        h.Client.Statistics.Delivered.Should().Be(Others + 501);
        h.AssertBalanced();
    }
}
