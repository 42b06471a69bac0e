using System.Globalization;
using System.Net;
using GrowlyticsSdk.Tests.TestSupport;

namespace GrowlyticsSdk.Tests.Delivery;

/// <summary>
/// Event 2011 ("Growlytics refused {Count} message(s) since the last report: {Reason}") counts the calls refused for the
/// reason it names. One rate limiter served every reason: calls refused for a refused key (Unauthorized) and not yet
/// logged were added to the next line, which named the latest reason (Shutdown), so the line said 4 calls were refused
/// after the shutdown where one was.
/// </summary>
public sealed class RefusalLinePerReasonTests
{
    private static readonly Dictionary<string, object?> Plan = new() { ["plan"] = "pro" };

    [Fact]
    public async Task UnauthorizedThenShutdown_EachLineCountsItsOwnReason()
    {
        using var http = new HttpClient(new Answering(HttpStatusCode.Unauthorized));
        await using var h = new DeliveryHarness(o =>
        {
            o.Protocol = GrowlyticsProtocol.Rest;
            o.HttpClient = http;
        });
        h.Client.Customers.Update("c-0", Plan);
        await h.FlushAsync();

        // Refused at the call for the refused key: the first is logged at once, the next three wait for the interval.
        for (var i = 1; i <= 4; i++)
        {
            h.Client.Customers.Update("c-" + i.ToString(CultureInfo.InvariantCulture), Plan);
        }

        await h.CallLinesWrittenAsync();
        h.Time.Advance(TimeSpan.FromSeconds(11));
        await h.RunAsync(h.Client.ShutdownAsync());

        h.Client.Customers.Update("after-shutdown", Plan);
        await h.CallLinesWrittenAsync();

        var stats = h.Client.Statistics;
        stats.DroppedByReason[DropReason.Shutdown].Should().Be(1);
        LoggedCount(h, DropReason.Shutdown).Should().Be(1, "one call was refused after the shutdown");
        LoggedCount(h, DropReason.Unauthorized).Should().BeLessThanOrEqualTo(stats.DroppedByReason[DropReason.Unauthorized] - 1);
    }

    private static long LoggedCount(DeliveryHarness h, DropReason reason) =>
        h.Log.WithId(2011)
            .Where(e => string.Equals(Convert.ToString(e.Fields["Reason"], CultureInfo.InvariantCulture), reason.ToString(), StringComparison.Ordinal))
            .Sum(e => Convert.ToInt64(e.Fields["Count"], CultureInfo.InvariantCulture));

    private sealed class Answering(HttpStatusCode status) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Task.FromResult(new HttpResponseMessage(status) { RequestMessage = request });
    }
}
