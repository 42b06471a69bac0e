using System.Collections.Concurrent;
using System.Net;
using System.Text;
using GrowlyticsSdk.Tests.TestSupport;
using Microsoft.Extensions.Time.Testing;
using RichardSzalay.MockHttp;

namespace GrowlyticsSdk.Tests.Protocols;

/// <summary>
/// A REST refusal (422) as the application sees it, in the error log (event 2005) and in
/// <see cref="MessageDroppedEventArgs.ErrorPath"/>/<see cref="MessageDroppedEventArgs.ErrorType"/>: the field and rule
/// when they are a field the request sent and a rule's name, never a value the service put in their place.
/// </summary>
public sealed class RejectionReportTests
{
    private const string CustomerId = "cust-secret-42-14";
    private const string Value = "pii-value-14@example.test";

    [Fact]
    public async Task CustomersUpdate_RefusalNamingValuesAsPathAndRule_ReportsNeither()
    {
        var body = "{\"details\":[{\"path\":[\"" + CustomerId + "\"],\"type\":\"" + Value + " is not allowed\"}]}";

        var (drop, log) = await RefusedAsync(body);

        (drop.Reason, drop.StatusCode, drop.ErrorPath, drop.ErrorType).Should().Be((DropReason.Rejected, 422, "?", (string?)null));
        log.Fields["Path"].Should().Be("?");
        log.Fields["Rule"].Should().Be("-");
        log.Text.Should().NotContain("secret").And.NotContain("pii-value", "the service's answer put them where a field and a rule go");
    }

    [Fact]
    public async Task CustomersUpdate_RefusalNamingAnAttributeTheRequestSent_ReportsItsName()
    {
        var (drop, log) = await RefusedAsync("{\"details\":[{\"path\":[\"attributes\",\"city\"],\"type\":\"string.max\"}]}");

        (drop.ErrorPath, drop.ErrorType).Should().Be(("attributes.city", "string.max"));
        log.Text.Should().Contain("attributes.city").And.Contain("string.max");
    }

    [Theory]
    [InlineData("string.base64", "string.base64")]
    [InlineData("string.isoDate", "string.isoDate")]
    [InlineData("string.64", null)]
    [InlineData("string.base.64", null)]
    [InlineData("string64.base", null)]
    [InlineData("555.1234", null)]
    public async Task CustomersUpdate_RuleNameWithDigits_KeptOnlyAfterANamesFirstLetter(string type, string? reported)
    {
        var (drop, log) = await RefusedAsync("{\"details\":[{\"path\":[\"attributes\",\"city\"],\"type\":\"" + type + "\"}]}");

        drop.ErrorType.Should().Be(reported, "Joi's rule names have digits only inside a name (string.base64); digits elsewhere may be a value");
        log.Fields["Rule"].Should().Be(reported ?? "-");
    }

    [Fact]
    public async Task RefusalsOfDifferentKindsWithinTheInterval_EachIsLoggedWithItsFieldAndRule_AndWhatIsLeftAtShutdown()
    {
        // 400, then a 422 naming a field and a rule, then a 2xx saying nothing was taken, then 400 again: all within one
        // interval of the log (the fake clock does not move).
        var answers = new ConcurrentQueue<Func<HttpResponseMessage>>(
        [
            () => new HttpResponseMessage(HttpStatusCode.BadRequest),
            () => new HttpResponseMessage(HttpStatusCode.UnprocessableEntity) { Content = new StringContent("{\"details\":[{\"path\":[\"attributes\",0,\"value\"],\"type\":\"string.max\"}]}", Encoding.UTF8, "application/json") },
            () => new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent("{\"success\":false}", Encoding.UTF8, "application/json") },
            () => new HttpResponseMessage(HttpStatusCode.BadRequest),
        ]);
        using var http = new MockHttpMessageHandler();
        http.When(HttpMethod.Post, "https://collector.test/rest-api/customer").Respond(_ => answers.TryDequeue(out var next) ? next() : new HttpResponseMessage(HttpStatusCode.OK));
        var logs = new DeliveryLog();
        var client = new GrowlyticsClient(new GrowlyticsOptions
        {
            ApiKey = DeliveryHarness.ApiKey,
            Endpoint = new Uri("https://collector.test/"),
            HttpClient = new HttpClient(http),
            LoggerFactory = logs,
            TimeProvider = new FakeTimeProvider(DeliveryHarness.Start),
            FlushOnProcessExit = false,
        });
        await using (client)
        {
            for (var i = 0; i < 4; i++)
            {
                client.Customers.Update("c-" + i, new Dictionary<string, object?> { ["city"] = Value });
                await client.FlushAsync().WaitAsync(DeliveryHarness.RealTimeout);
            }

            var whileRunning = logs.WithId(2005);
            whileRunning.Select(e => $"{e.Fields["Status"]} {e.Fields["Path"]} {e.Fields["Rule"]}").Should().Equal(
                ["400 - -", "422 attributes.0.value string.max", "200 - success:false"],
                "each kind of refusal is logged the first time, within the interval of another");
            await client.ShutdownAsync().WaitAsync(DeliveryHarness.RealTimeout);
        }

        client.Statistics.DroppedByReason[DropReason.Rejected].Should().Be(4);
        var all = logs.WithId(2005);
        all.Sum(e => Convert.ToInt64(e.Fields["Count"], System.Globalization.CultureInfo.InvariantCulture)).Should().Be(4, "what was not logged yet is logged at shutdown");
        all.Last().Fields["Status"].Should().Be(400, "the second 400, within the interval of the first, is logged at shutdown");
        all.Should().OnlyContain(e => !e.Text.Contains(Value) && !e.Text.Contains(DeliveryHarness.ApiKey));
    }

    // One update of CustomerId refused with a 422 carrying body: the MessageDropped event and the error line it gave.
    private static async Task<(MessageDroppedEventArgs Drop, DeliveryLog.Entry Log)> RefusedAsync(string body)
    {
        using var http = new MockHttpMessageHandler();
        http.When(HttpMethod.Post, "https://collector.test/rest-api/customer")
            .Respond(_ => new HttpResponseMessage(HttpStatusCode.UnprocessableEntity) { Content = new StringContent(body, Encoding.UTF8, "application/json") });
        var logs = new DeliveryLog();
        var dropped = new ConcurrentQueue<MessageDroppedEventArgs>();
        await using var client = new GrowlyticsClient(new GrowlyticsOptions
        {
            ApiKey = DeliveryHarness.ApiKey,
            Endpoint = new Uri("https://collector.test/"),
            HttpClient = new HttpClient(http),
            LoggerFactory = logs,
            TimeProvider = new FakeTimeProvider(DeliveryHarness.Start),
            FlushOnProcessExit = false,
        });
        client.MessageDropped += (_, e) => dropped.Enqueue(e);

        client.Customers.Update(CustomerId, new Dictionary<string, object?> { ["city"] = Value });
        await client.FlushAsync().WaitAsync(DeliveryHarness.RealTimeout);
        await DeliveryHarness.WaitUntilAsync(() => !dropped.IsEmpty);

        var log = logs.WithId(2005).Should().ContainSingle().Subject;
        log.Text.Should().NotContain(DeliveryHarness.ApiKey);
        return (dropped.Should().ContainSingle().Subject, log);
    }
}
