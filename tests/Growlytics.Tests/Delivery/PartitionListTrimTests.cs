using GrowlyticsSdk.Tests.TestSupport;

namespace GrowlyticsSdk.Tests.Delivery;

/// <summary>
/// Each partition that has held a message keeps a list for it. Many users leave a list in most of the 4,096 partitions, and
/// one user's burst leaves its list's array as large as the backlog was: those the partitions no longer use are let go about
/// a minute or two after their last message, with the spare envelopes, whether the client is quiet or not.
/// </summary>
public sealed class PartitionListTrimTests
{
    [Fact]
    public async Task ManyCustomers_ThenQuiet_TheirPartitionsLetGoOfTheirLists_AndDeliveryGoesOn()
    {
        await using var h = new DeliveryHarness();
        const int Customers = 10_000;
        for (var i = 0; i < Customers; i++)
        {
            h.Client.Customers.Update("customer-" + i, new Dictionary<string, object?> { ["n"] = i });
        }

        await h.FlushAsync();
        h.Client.Statistics.Delivered.Should().Be(Customers);
        var lists = h.Client.Dispatcher.PartitionLists;
        lists.Should().BeGreaterThan(h.Client.Dispatcher.PartitionCount * 9 / 10, "10,000 customers reach nearly every partition");

        // Quiet: half a minute on, nothing was let go; within one to two trim intervals (of a minute), every list was.
        var from = h.Time.GetUtcNow();
        await h.AdvanceUntilAsync(() => h.Time.GetUtcNow() - from >= TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(1));
        h.Client.Dispatcher.PartitionLists.Should().Be(lists);
        await h.AdvanceUntilAsync(() => h.Client.Dispatcher.PartitionLists == 0, TimeSpan.FromSeconds(1));
        (h.Time.GetUtcNow() - from).Should().BeGreaterThanOrEqualTo(TimeSpan.FromMinutes(1)).And.BeLessThan(TimeSpan.FromMinutes(2.5), "a minute or two after the last message");

        // The partitions take messages again, in order per customer.
        for (var i = 0; i < 300; i++)
        {
            h.Client.Customers.Update("customer-" + (i % 3), new Dictionary<string, object?> { ["n"] = Customers + i });
        }

        await h.FlushAsync();
        h.Client.Statistics.Delivered.Should().Be(Customers + 300);
        h.Client.Dispatcher.PartitionLists.Should().BeInRange(1, 3);
        foreach (var customer in Enumerable.Range(0, 3).Select(c => "customer-" + c))
        {
            var numbers = h.Accepted.SelectMany(r => r.Messages)
                .Where(m => m.GetProperty("userId").GetString() == customer)
                .Select(DeliveryHarness.NumberOf)
                .Where(n => n >= Customers)
                .ToList();
            numbers.Should().HaveCount(100).And.BeInAscendingOrder();
        }

        h.AssertBalanced();
    }

    [Fact]
    public async Task OneCustomersBacklog_ThenItsPartitionStaysInUse_ItsListLetsGoOfTheBacklogsRoom()
    {
        // A long-running server: an import stages one customer's backlog in its partition while a request of it is on the
        // wire; then the partition keeps taking a message now and then (that customer's, or another's whose key falls
        // there, as in a busy server every partition does). The list's array, grown for the backlog, is cut back to what
        // the partition uses: kept, every partition that once held a backlog kept its peak for the life of the process.
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var h = new DeliveryHarness();
        h.Responder = async _ =>
        {
            await gate.Task;
            return new HttpResponseMessage(System.Net.HttpStatusCode.OK);
        };
        const int Backlog = 20_000;
        for (var i = 0; i < Backlog; i++)
        {
            h.Client.Customers.Update("import", new Dictionary<string, object?> { ["n"] = i });
        }

        await h.AdvanceUntilAsync(() => h.Client.Dispatcher.PartitionListSlots >= 16_384);
        gate.SetResult();
        await h.FlushAsync();
        h.Client.Statistics.Delivered.Should().Be(Backlog);

        // The customer goes on with one update every 10 s for three minutes: its list is in use at every trim.
        var from = h.Time.GetUtcNow();
        var last = from;
        var next = Backlog;
        await h.AdvanceUntilAsync(
            () =>
            {
                if (h.Time.GetUtcNow() - last >= TimeSpan.FromSeconds(10))
                {
                    last = h.Time.GetUtcNow();
                    h.Client.Customers.Update("import", new Dictionary<string, object?> { ["n"] = next++ });
                }

                return h.Time.GetUtcNow() - from >= TimeSpan.FromMinutes(3);
            },
            TimeSpan.FromSeconds(1));
        await h.FlushAsync();

        h.Client.Dispatcher.PartitionLists.Should().Be(1, "the partition is in use");
        h.Client.Dispatcher.PartitionListSlots.Should().BeLessThanOrEqualTo(64, "its list keeps room for what it held lately, not for the backlog");
        h.Client.Statistics.Delivered.Should().Be(next);
        var numbers = h.Accepted.SelectMany(r => r.Messages).Select(DeliveryHarness.NumberOf).ToList();
        numbers.Should().HaveCount(next).And.BeInAscendingOrder("the customer's updates arrive in call order");
        h.AssertBalanced();
    }

    [Fact]
    public async Task OneUserSendingNowAndThen_KeepsItsList_WhileOthersAreLetGo()
    {
        await using var h = new DeliveryHarness();
        h.Client.Customers.Update("quiet", new Dictionary<string, object?> { ["n"] = 0 });
        h.Client.Customers.Update("busy", new Dictionary<string, object?> { ["n"] = 0 });
        await h.FlushAsync();
        h.Client.Dispatcher.PartitionLists.Should().Be(2, "the two keys fall in two partitions (checked below)");

        // "busy" sends every 10 s for three minutes: its list is in use at every trim.
        var from = h.Time.GetUtcNow();
        var next = 1;
        var last = from;
        await h.AdvanceUntilAsync(
            () =>
            {
                if (h.Time.GetUtcNow() - last >= TimeSpan.FromSeconds(10))
                {
                    last = h.Time.GetUtcNow();
                    h.Client.Customers.Update("busy", new Dictionary<string, object?> { ["n"] = next++ });
                }

                return h.Time.GetUtcNow() - from >= TimeSpan.FromMinutes(3);
            },
            TimeSpan.FromSeconds(1));
        await h.FlushAsync();

        h.Client.Dispatcher.PartitionLists.Should().Be(1, "the quiet customer's list was let go, the busy one's kept");
        h.Client.Statistics.Delivered.Should().Be(2 + next - 1);
        h.AssertBalanced();
    }
}
