using static GrowlyticsSdk.IntegrationTests.TestSupport;

namespace GrowlyticsSdk.IntegrationTests.Rest;

/// <summary>
/// An upsert that carries held anonymous pushes settles several calls at once; until it does, every one of them is
/// pending, so <c>Enqueued = Delivered + Dropped + Pending</c> holds while it is on its way too.
/// </summary>
public sealed class RestPendingCallsTests
{
    [Fact]
    public async Task Statistics_WhileAnUpsertCarryingHeldPushesIsInFlight_CountEveryCallItSettlesAsPending()
    {
        await using var collector = await RestCollector.StartAsync();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        collector.Gate = gate.Task;
        await using var client = new GrowlyticsClient(new GrowlyticsOptions { ApiKey = RestCollector.ApiKey, Endpoint = collector.Endpoint });

        client.User.Push(new Dictionary<string, object?> { ["city"] = "Pune" });
        client.User.Push(new Dictionary<string, object?> { ["theme"] = "dark" });
        client.User.Identify("u-pending", new Dictionary<string, object?> { ["plan"] = "pro" });
        client.Customers.Update("c-pending", new Dictionary<string, object?> { ["tier"] = "gold" });
        GrowlyticsStatistics inFlight;
        try
        {
            await EventuallyAsync(() => client.Queue.Unread == 0, "the dispatcher took both upserts (the collector holds their answers)");
            inFlight = client.Statistics;
        }
        finally
        {
            gate.TrySetResult();
        }

        (inFlight.Enqueued, inFlight.Delivered, inFlight.Dropped, inFlight.Pending)
            .Should().Be((4, 0, 0, 4), "the login's upsert settles the login and the two pushes it carries; the update settles one call");
        await FlushAsync(client);

        var settled = client.Statistics;
        (settled.Enqueued, settled.Delivered, settled.Dropped, settled.Pending).Should().Be((4, 4, 0, 0));
        collector.Requests.Should().HaveCount(2);
    }
}
