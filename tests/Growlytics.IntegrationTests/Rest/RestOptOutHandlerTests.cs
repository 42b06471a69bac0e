using static GrowlyticsSdk.IntegrationTests.TestSupport;

namespace GrowlyticsSdk.IntegrationTests.Rest;

/// <summary>
/// The anonymous attributes an opt-out drops are reported outside the client's locks: a <c>MessageDropped</c> handler
/// that opts back in leaves the client and its delivery engine agreeing that it is opted in.
/// </summary>
public sealed class RestOptOutHandlerTests
{
    [Fact]
    public async Task OptOut_HandlerOfTheDroppedHeldAttributesOptsBackIn_LaterCallsAreDelivered()
    {
        await using var collector = await RestCollector.StartAsync();
        await using var client = new GrowlyticsClient(new GrowlyticsOptions { ApiKey = RestCollector.ApiKey, Endpoint = collector.Endpoint });

        // Held for a login (REST): the opt-out drops it and reports it.
        client.User.Push(new Dictionary<string, object?> { ["city"] = "Pune" });
        var reported = 0;
        client.MessageDropped += (_, e) =>
        {
            if (e.Reason == DropReason.OptedOut)
            {
                Interlocked.Increment(ref reported);
                client.OptIn();
            }
        };

        client.OptOut();

        reported.Should().Be(1, "the held push was reported before OptOut returned");
        client.IsOptedOut.Should().BeFalse("the handler opted back in after the opt-out had finished");
        client.Customers.Update("c-after", new Dictionary<string, object?> { ["tier"] = "gold" });
        await FlushAsync(client);

        var stats = client.Statistics;
        (stats.Delivered, stats.DroppedByReason[DropReason.OptedOut], stats.Pending).Should().Be((1L, 1L, 0L), "the update recorded after opting back in is sent");
        collector.Requests.Should().ContainSingle();
    }
}
