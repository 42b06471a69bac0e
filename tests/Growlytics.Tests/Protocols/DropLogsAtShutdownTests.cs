using System.Globalization;
using System.Net;
using GrowlyticsSdk.Tests.TestSupport;
using Microsoft.Extensions.Time.Testing;
using RichardSzalay.MockHttp;

namespace GrowlyticsSdk.Tests.Protocols;

/// <summary>
/// The error lines of messages dropped after an answer (event 2008: too large on its own, 413; event 2004: retries run
/// out) are written at most once per interval, with a count since the last line: what was counted after the last line
/// is logged at shutdown, as refusals' (event 2005) are, so no drop is left out of every error line.
/// </summary>
public sealed class DropLogsAtShutdownTests
{
    [Theory]
    [InlineData(HttpStatusCode.RequestEntityTooLarge, DropReason.TooLarge, 2008)]
    [InlineData(HttpStatusCode.ServiceUnavailable, DropReason.RetriesExhausted, 2004)]
    public async Task TwoDropsWithinTheInterval_BothAreInTheErrorLines_TheSecondAtShutdown(HttpStatusCode status, DropReason reason, int eventId)
    {
        using var http = new MockHttpMessageHandler();
        http.When(HttpMethod.Post, "https://collector.test/rest-api/customer").Respond(_ => new HttpResponseMessage(status));
        var logs = new DeliveryLog();
        var client = new GrowlyticsClient(new GrowlyticsOptions
        {
            ApiKey = DeliveryHarness.ApiKey,
            Endpoint = new Uri("https://collector.test/"),
            HttpClient = new HttpClient(http),
            LoggerFactory = logs,
            MaxRetryAttempts = 0,

            // The fake clock does not move: both drops fall within one interval of the log.
            TimeProvider = new FakeTimeProvider(DeliveryHarness.Start),
            FlushOnProcessExit = false,
        });
        await using (client)
        {
            for (var i = 0; i < 2; i++)
            {
                client.Customers.Update("c-" + i, new Dictionary<string, object?> { ["plan"] = "pro" });
                await client.FlushAsync().WaitAsync(DeliveryHarness.RealTimeout);
            }

            client.Statistics.DroppedByReason[reason].Should().Be(2);
            logs.WithId(eventId).Should().ContainSingle("the second drop falls within the first line's interval");
            await client.ShutdownAsync().WaitAsync(DeliveryHarness.RealTimeout);
        }

        logs.WithId(eventId).Sum(e => Convert.ToInt64(e.Fields["Count"], CultureInfo.InvariantCulture))
            .Should().Be(2, "a drop counted after the last line is logged at shutdown");
    }
}
