using System.Net;
using GrowlyticsSdk.Tests.TestSupport;

namespace GrowlyticsSdk.Tests.Delivery;

/// <summary>
/// The interval-limited log lines of drops count what <see cref="GrowlyticsClient.Statistics"/> and
/// <see cref="GrowlyticsClient.MessageDropped"/> count: accepted calls. With <see cref="GrowlyticsProtocol.Rest"/> a login
/// carries the anonymous pushes held for it, one message settling several calls; counted by the message, a line said 1
/// where the statistics, the event and the shutdown's totals said 4, so the lines and the totals did not add up.
/// </summary>
public sealed class LogCountsInCallsTests
{
    private static readonly Dictionary<string, object?> Plan = new() { ["plan"] = "pro" };

    [Fact]
    public async Task QueueFull_ALoginCarryingHeldPushes_IsLoggedWithItsCalls()
    {
        await using var h = new DeliveryHarness(
            o =>
            {
                o.Protocol = GrowlyticsProtocol.Rest;
                o.MaxQueueSize = 2;
            },
            startDelivery: false);
        h.PushMany(3);
        h.Client.Customers.Update("c-1", Plan);
        h.Client.Customers.Update("c-2", Plan);

        h.Client.User.Identify("u-1", Plan);
        await h.CallLinesWrittenAsync();

        var counted = h.Client.Statistics.DroppedByReason[DropReason.QueueFull];
        counted.Should().Be(4, "the login and the three pushes it carried");
        LoggedCount(h, 2001).Should().Be(counted);
    }

    [Fact]
    public async Task RefusedAfterTheKeyWasRefused_ALoginCarryingHeldPushes_IsLoggedWithItsCalls()
    {
        using var http = new HttpClient(new Answering(HttpStatusCode.Unauthorized));
        await using var h = new DeliveryHarness(o =>
        {
            o.Protocol = GrowlyticsProtocol.Rest;
            o.HttpClient = http;
        });
        h.Client.Customers.Update("c-1", Plan);
        await h.FlushAsync();
        h.PushMany(3);

        h.Client.User.Identify("u-1", Plan);
        await h.CallLinesWrittenAsync();

        var refusedAtTheCall = h.Client.Statistics.DroppedByReason[DropReason.Unauthorized] - 1;
        refusedAtTheCall.Should().Be(4);
        LoggedCount(h, 2011).Should().Be(refusedAtTheCall);
    }

    [Theory]
    [InlineData(HttpStatusCode.UnprocessableEntity, DropReason.Rejected, 2005)]
    [InlineData(HttpStatusCode.ServiceUnavailable, DropReason.RetriesExhausted, 2004)]
    [InlineData(HttpStatusCode.RequestEntityTooLarge, DropReason.TooLarge, 2008)]
    public async Task ServiceRefusal_ALoginCarryingHeldPushes_IsLoggedWithItsCalls(HttpStatusCode status, DropReason reason, int eventId)
    {
        using var http = new HttpClient(new Answering(status));
        await using var h = new DeliveryHarness(o =>
        {
            o.Protocol = GrowlyticsProtocol.Rest;
            o.MaxRetryAttempts = 0;
            o.HttpClient = http;
        });
        var reported = 0L;
        h.Client.MessageDropped += (_, e) => Interlocked.Add(ref reported, e.Count);
        h.PushMany(3);

        h.Client.User.Identify("u-1", Plan);
        await h.FlushAsync();

        var counted = h.Client.Statistics.DroppedByReason[reason];
        counted.Should().Be(4, "the login and the three pushes it carried");
        await DeliveryHarness.WaitUntilAsync(() => Interlocked.Read(ref reported) == counted);
        LoggedCount(h, eventId).Should().Be(counted, "the line counts what the statistics and the event count");
    }

    private static long LoggedCount(DeliveryHarness h, int eventId) =>
        h.Log.WithId(eventId).Sum(e => Convert.ToInt64(e.Fields["Count"], System.Globalization.CultureInfo.InvariantCulture));

    // The REST collector: answers every upsert with one status (the harness's mock reads batch bodies only).
    private sealed class Answering(HttpStatusCode status) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Task.FromResult(new HttpResponseMessage(status) { RequestMessage = request });
    }
}
