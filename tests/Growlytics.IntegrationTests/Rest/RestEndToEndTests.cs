using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Numerics;
using GrowlyticsSdk.IntegrationTests.Security;
using GrowlyticsSdk.TestSupport;
using Microsoft.Extensions.Logging;
using static GrowlyticsSdk.IntegrationTests.TestSupport;

namespace GrowlyticsSdk.IntegrationTests.Rest;

/// <summary>
/// The REST protocol's call → request mapping (docs/wire-protocol.md, "Calls and requests") end to end: a client with
/// the default options (only <see cref="GrowlyticsOptions.Endpoint"/> and <see cref="GrowlyticsOptions.ApiKey"/> set)
/// against a Kestrel collector that applies the documented validation of <c>POST /rest-api/customer</c>.
/// </summary>
public sealed class RestEndToEndTests : IAsyncLifetime
{
    private RestCollector _collector = null!;

    public async Task InitializeAsync() => _collector = await RestCollector.StartAsync();

    public async Task DisposeAsync() => await _collector.DisposeAsync();

    [Fact]
    public async Task Identify_AfterAnonymousPushes_SendsOneUpsertCarryingThemWithLaterValuesWinning()
    {
        await using var client = new GrowlyticsClient(DefaultOptions());

        client.User.Push(Attributes(("city", "Pune"), ("plan", "free"), ("visits", 1)));
        client.User.Push(Attributes(("city", "Mumbai"), ("visits", 2)));
        await FlushAsync(client);

        _collector.Requests.Should().BeEmpty("the REST API has no anonymous profile: anonymous pushes wait for the login");
        var held = client.Statistics;
        (held.Enqueued, held.Pending, held.Delivered, held.Dropped).Should().Be((2, 2, 0, 0), "held pushes are accepted and pending");

        client.User.Identify("u-merge", Attributes(("plan", "pro"), ("name", "John Wick")));
        await FlushAsync(client);

        var upsert = _collector.Requests.Should().ContainSingle("one upsert carries the login and what the session pushed before it").Subject;
        upsert.Status.Should().Be(200);
        upsert.Id.Should().Be("u-merge");
        upsert.AttributeMap.Should().BeEquivalentTo(new Dictionary<string, string>
        {
            ["city"] = "\"Mumbai\"",
            ["visits"] = "2",
            ["plan"] = "\"pro\"",
            ["name"] = "\"John Wick\"",
        }, "later values win, the login's last");
        ShouldBeSettled(client.Statistics, delivered: 3);
        client.Statistics.BatchesSent.Should().Be(1);
    }

    [Fact]
    public async Task Push_WhileIdentified_SendsOneUpsertForThatId()
    {
        await using var client = new GrowlyticsClient(DefaultOptions());
        client.User.Identify("u-push");
        await FlushAsync(client);
        _collector.Requests.Should().BeEmpty("a login without attributes and nothing held has nothing to send");

        client.User.Push(Attributes(("step", 1)));
        await FlushAsync(client);

        var upsert = _collector.Requests.Should().ContainSingle().Subject;
        (upsert.Id, upsert.Status).Should().Be(("u-push", 200));
        upsert.AttributeMap.Should().Equal(new Dictionary<string, string> { ["step"] = "1" });
        ShouldBeBalanced(client.Statistics);
        client.Statistics.Delivered.Should().Be(1);
    }

    [Fact]
    public async Task Logout_SendsNoRequest_AndTheNextVisitorsPushesWaitForTheirOwnLogin()
    {
        await using var client = new GrowlyticsClient(DefaultOptions());
        client.User.Identify("u-out", Attributes(("plan", "pro")));
        await FlushAsync(client);
        var before = client.User.AnonymousId;

        client.User.Logout();
        client.User.Push(Attributes(("theme", "dark")));
        await FlushAsync(client);

        _collector.Requests.Should().ContainSingle("a logout has no REST form, and the push after it is anonymous");
        client.User.AnonymousId.Should().NotBe(before);
        client.Statistics.Pending.Should().Be(1, "the anonymous push after the logout is held");

        client.User.Identify("u-next");
        await FlushAsync(client);

        _collector.Requests.Should().HaveCount(2);
        var next = _collector.Requests[1];
        next.Id.Should().Be("u-next");
        next.AttributeMap.Should().Equal(new Dictionary<string, string> { ["theme"] = "\"dark\"" }, "nothing of the logged-out user is carried");
        ShouldBeSettled(client.Statistics, delivered: 3);
    }

    [Fact]
    public async Task CustomersUpdate_SendsOneUpsertForThatId_AndLeavesTheSessionAlone()
    {
        await using var client = new GrowlyticsClient(DefaultOptions());
        client.User.Push(Attributes(("city", "Delhi")));
        var anonymousId = client.User.AnonymousId;

        client.Customers.Update("c-job", Attributes(("tier", "gold")));
        await FlushAsync(client);

        var upsert = _collector.Requests.Should().ContainSingle().Subject;
        upsert.Id.Should().Be("c-job");
        upsert.AttributeMap.Should().Equal(new Dictionary<string, string> { ["tier"] = "\"gold\"" }, "the session's held push is not the customer's");
        client.User.IsIdentified.Should().BeFalse();
        client.User.AnonymousId.Should().Be(anonymousId);
        var statistics = client.Statistics;
        (statistics.Delivered, statistics.Pending).Should().Be((1, 1));
        ShouldBeBalanced(statistics);

        client.User.Identify("u-later");
        await FlushAsync(client);

        _collector.Requests[^1].Id.Should().Be("u-later");
        _collector.Requests[^1].AttributeMap.Should().Equal(new Dictionary<string, string> { ["city"] = "\"Delhi\"" }, "the session still held its push");
        ShouldBeSettled(client.Statistics, delivered: 3);
    }

    [Fact]
    public async Task Upsert_WithAnActivityCurrent_IsExactlyTheDocumentedRequest()
    {
        using var activity = new Activity("app-request").SetIdFormat(ActivityIdFormat.W3C).Start();
        using var tracing = HttpTracing.TraceEveryRequest();
        await using var client = new GrowlyticsClient(DefaultOptions());

        client.User.Identify("u-wire", new Dictionary<string, object?>
        {
            ["seen"] = new DateTime(2026, 1, 2, 3, 4, 5, 789, DateTimeKind.Utc),
            ["signup"] = new DateTimeOffset(2026, 1, 2, 8, 34, 5, TimeSpan.FromHours(5.5)),
            ["big"] = BigInteger.Parse("123456789012345678901234567890123456789", System.Globalization.CultureInfo.InvariantCulture),
            ["max"] = ulong.MaxValue,
            ["price"] = 1.50m,
            ["vip"] = true,
            ["Email"] = "john@example.com",
        });
        await FlushAsync(client);

        var request = _collector.Requests.Should().ContainSingle().Subject;
        request.Status.Should().Be(200, "the collector's documented validation accepts it");
        request.Method.Should().Be("POST");
        request.Path.Should().Be("/rest-api/customer");
        request.Headers["x-growlytics-key"].Should().Be(RestCollector.ApiKey);
        request.Headers["content-type"].Should().Be("application/json");
        request.Headers["accept"].Should().Be("application/json");
        request.Headers["user-agent"].Should().StartWith("growlytics-dotnet/");
        request.Headers.Should().NotContainKey("content-encoding", "compression is not documented for this API");
        request.Headers.Keys.Should().NotContain(["traceparent", "tracestate", "request-id"], "no trace context goes to Growlytics");
        request.Body.Should().Be(
            "{\"id\":\"u-wire\",\"attributes\":["
            + "{\"name\":\"seen\",\"type\":\"date\",\"value\":\"2026-01-02 03:04:05\"},"
            + "{\"name\":\"signup\",\"type\":\"date\",\"value\":\"2026-01-02 03:04:05\"},"
            + "{\"name\":\"big\",\"type\":\"number\",\"value\":123456789012345678901234567890123456789},"
            + "{\"name\":\"max\",\"type\":\"number\",\"value\":18446744073709551615},"
            + "{\"name\":\"price\",\"type\":\"number\",\"value\":1.50},"
            + "{\"name\":\"vip\",\"type\":\"boolean\",\"value\":true},"
            + "{\"name\":\"email\",\"type\":\"string\",\"value\":\"john@example.com\"}]}");

        // The control: a plain HttpClient under the same Activity does send the trace context, so its absence above is the SDK's doing.
        using var plain = new HttpClient();
        using var content = new StringContent("{\"id\":\"u-control\",\"attributes\":[]}", System.Text.Encoding.UTF8, "application/json");
        content.Headers.Add("x-growlytics-key", RestCollector.ApiKey);
        (await plain.PostAsync(new Uri(_collector.Endpoint, "rest-api/customer"), content)).EnsureSuccessStatusCode();
        _collector.Requests[^1].Headers.Should().ContainKey("traceparent");
    }

    [Fact]
    public async Task CustomersUpdate_Refused422_IsDroppedAsRejectedReportedWithPathAndTypeAndLoggedWithoutTheValue()
    {
        const string Secret = "SECRET-COUPON-5531";
        _collector.RefusedAttribute = "coupon";
        using var logs = new RecordingLoggerProvider();
        var (client, loggerFactory, dropped) = ClientReportingDrops(logs);
        using var disposeLogging = loggerFactory;
        await using var disposeClient = client;

        client.Customers.Update("c-refused", Attributes(("coupon", Secret), ("tier", "gold")));
        client.Customers.Update("c-fine", Attributes(("tier", "silver")));
        await FlushAsync(client);

        _collector.Requests.Select(r => (r.Id, r.Status)).Should().BeEquivalentTo([("c-refused", 422), ("c-fine", 200)]);
        var statistics = client.Statistics;
        statistics.DroppedByReason[DropReason.Rejected].Should().Be(1);
        ShouldBeSettled(statistics, delivered: 1, dropped: 1);
        await EventuallyAsync(() => !dropped.IsEmpty, "MessageDropped is raised");
        var drop = dropped.Should().ContainSingle().Subject;
        (drop.Reason, drop.Count, drop.CustomerId, drop.StatusCode).Should().Be((DropReason.Rejected, 1, "c-refused", 422));
        (drop.ErrorPath, drop.ErrorType).Should().Be(("attributes.0.value", "any.invalid"));

        var line = logs.Lines.Should().ContainSingle(l => l.EventId.Id == 2005, "one error log names the refusal").Subject;
        line.Level.Should().Be(LogLevel.Error);
        line.Text.Should().Contain("422").And.Contain("attributes.0.value").And.Contain("any.invalid");
        logs.Lines.Should().NotContain(l => l.Text.Contains(Secret, StringComparison.Ordinal), "the 422 echoes the value; the SDK never repeats it");
        logs.Lines.Should().NotContain(l => l.Text.Contains(RestCollector.ApiKey, StringComparison.Ordinal));
    }

    [Fact]
    public async Task CustomersUpdate_200SayingSuccessFalse_IsDroppedAsRejectedOnceWithoutARetry()
    {
        // The documented success is 200 with {"success": true}; this answer is 200 with {"success": false}.
        _collector.StatusFor = id => id == "c-not-taken" ? 200 : null;
        using var logs = new RecordingLoggerProvider();
        var (client, loggerFactory, dropped) = ClientReportingDrops(logs);
        using var disposeLogging = loggerFactory;
        await using var disposeClient = client;

        client.Customers.Update("c-not-taken", Attributes(("tier", "gold")));
        client.Customers.Update("c-taken", Attributes(("tier", "silver")));
        await FlushAsync(client);

        _collector.Requests.Select(r => (r.Id, r.Status)).Should().BeEquivalentTo([("c-not-taken", 200), ("c-taken", 200)], "each is answered once: a refusal is not retried");
        var statistics = client.Statistics;
        statistics.DroppedByReason[DropReason.Rejected].Should().Be(1);
        ShouldBeSettled(statistics, delivered: 1, dropped: 1);
        await EventuallyAsync(() => !dropped.IsEmpty, "MessageDropped is raised");
        var drop = dropped.Should().ContainSingle().Subject;
        (drop.Reason, drop.Count, drop.CustomerId, drop.StatusCode).Should().Be((DropReason.Rejected, 1, "c-not-taken", 200));
        (drop.ErrorPath, drop.ErrorType).Should().Be(((string?)null, "success:false"));
        var line = logs.Lines.Should().ContainSingle(l => l.EventId.Id == 2005).Subject;
        line.Text.Should().Contain("status 200").And.Contain("success:false");
    }

    [Fact]
    public async Task CustomersUpdate_GzipAnswers_SuccessFalseIsRejectedAndA422sPathAndTypeAreRead()
    {
        // The SDK's requests carry no Accept-Encoding, which lets a server use any coding (RFC 9110, section 12.5.3).
        _collector.GzipAnswers = true;
        _collector.RefusedAttribute = "coupon";
        _collector.StatusFor = id => id == "c-not-taken" ? 200 : null;
        using var logs = new RecordingLoggerProvider();
        var (client, loggerFactory, dropped) = ClientReportingDrops(logs);
        using var disposeLogging = loggerFactory;
        await using var disposeClient = client;

        client.Customers.Update("c-not-taken", Attributes(("tier", "gold")));
        client.Customers.Update("c-refused", Attributes(("coupon", "SECRET-COUPON-5531")));
        client.Customers.Update("c-taken", Attributes(("tier", "silver")));
        await FlushAsync(client);

        _collector.Requests.Select(r => (r.Id, r.Status)).Should().BeEquivalentTo([("c-not-taken", 200), ("c-refused", 422), ("c-taken", 200)]);
        var statistics = client.Statistics;
        statistics.DroppedByReason[DropReason.Rejected].Should().Be(2, "a compressed {\"success\": false} took nothing, as an uncompressed one");
        ShouldBeSettled(statistics, delivered: 1, dropped: 2);
        await EventuallyAsync(() => dropped.Count == 2, "MessageDropped is raised for both");
        dropped.Select(d => (d.CustomerId, d.StatusCode, d.ErrorPath, d.ErrorType)).Should().BeEquivalentTo(
            [("c-not-taken", 200, (string?)null, "success:false"), ("c-refused", 422, "attributes.0.value", "any.invalid")]);
    }

    [Fact]
    public async Task Identify_Refused422_DropsTheLoginAndTheHeldPushesItCarriesAsRejected()
    {
        _collector.RefusedAttribute = "coupon";
        var dropped = new ConcurrentQueue<MessageDroppedEventArgs>();
        await using var client = new GrowlyticsClient(DefaultOptions());
        client.MessageDropped += (_, e) => dropped.Enqueue(e);

        client.User.Push(Attributes(("coupon", "SECRET-1")));
        client.User.Push(Attributes(("city", "Goa")));
        client.User.Identify("u-refused", Attributes(("plan", "pro")));
        await FlushAsync(client);

        _collector.Requests.Should().ContainSingle().Which.Status.Should().Be(422);
        var statistics = client.Statistics;
        statistics.DroppedByReason[DropReason.Rejected].Should().Be(3, "the upsert settles the login and the two pushes it carried");
        ShouldBeSettled(statistics, delivered: 0, dropped: 3);
        await EventuallyAsync(() => !dropped.IsEmpty, "MessageDropped is raised");
        var drop = dropped.Should().ContainSingle().Subject;
        (drop.Reason, drop.Count, drop.CustomerId, drop.StatusCode, drop.ErrorPath, drop.ErrorType)
            .Should().Be((DropReason.Rejected, 3, "u-refused", 422, "attributes.0.value", "any.invalid"));
    }

    [Fact]
    public async Task Identify_MergedAttributesOver100_SendsSeveralUpsertsForTheSameIdInOrderNoneTruncated()
    {
        await using var client = new GrowlyticsClient(DefaultOptions());
        var held = Enumerable.Range(0, 60).ToDictionary(i => $"h{i}", i => (object?)i);
        held["shared"] = "held";
        var own = Enumerable.Range(0, 70).ToDictionary(i => $"i{i}", i => (object?)(1000 + i));
        own["shared"] = "login";

        client.User.Push(held);
        client.User.Identify("u-wide", own);
        await FlushAsync(client);

        var requests = _collector.Requests;
        requests.Should().HaveCount(2).And.OnlyContain(r => r.Id == "u-wide" && r.Status == 200, "each part passes the 100-attribute limit");
        requests.Select(r => r.Attributes.Count).Should().Equal(100, 31);
        var sent = requests.SelectMany(r => r.Attributes).ToList();
        sent.Select(a => a.Key).Should().OnlyHaveUniqueItems();
        var expected = held.Concat(own).GroupBy(p => p.Key).ToDictionary(g => g.Key, g => g.Last().Value is string s ? $"\"{s}\"" : g.Last().Value!.ToString()!);
        sent.ToDictionary(a => a.Key, a => a.Value).Should().Equal(expected, "every attribute is sent, the login's value of a shared name winning");
        sent.Take(60).Select(a => a.Key).Should().Equal(held.Keys.Take(60), "the held attributes go first, in the first part");
        ShouldBeSettled(client.Statistics, delivered: 2);
        client.Statistics.BatchesSent.Should().Be(2);
    }

    [Fact]
    public async Task LargestLegalCalls_ReadBackFromStorage_AreAllSentNoneCountedNotSupported()
    {
        // A stored message beyond REST's limits is not sent (NotSupported): every message the calls queue must be within
        // them, so the widest calls, read back from the folder, all go out. 100 attributes named with 49 characters (the
        // reserved ones among them), and a login merging 100 held attributes with 100 of its own (sent in two parts).
        using var folder = new TempFolder();
        var options = DefaultOptions();
        options.StorageDirectory = folder.Path;
        await using var client = new GrowlyticsClient(options);

        client.User.Push(Widest("a"));
        client.User.Identify("u-widest", Widest("b", reserved: true));
        client.User.Push(Widest("c", reserved: true));
        client.Customers.Update("c-widest-1", Widest("d", reserved: true));
        await client.Customers.UpdateAsync("c-widest-2", Widest("e", reserved: true));
        await FlushAsync(client);

        var requests = _collector.Requests;
        requests.Select(r => (r.Id, r.Status, r.Attributes.Count)).Should().BeEquivalentTo(
            [("u-widest", 200, 100), ("u-widest", 200, 100), ("u-widest", 200, 100), ("c-widest-1", 200, 100), ("c-widest-2", 200, 100)]);
        requests.SelectMany(r => r.Attributes).Select(a => a.Key.Length).Max().Should().Be(49);
        client.Statistics.DroppedByReason[DropReason.NotSupported].Should().Be(0);
        ShouldBeSettled(client.Statistics, delivered: 5);

        // 100 attributes: the reserved ones (when asked for) and the rest named with 49 characters.
        static Dictionary<string, object?> Widest(string prefix, bool reserved = false)
        {
            var attributes = reserved
                ? new Dictionary<string, object?> { ["Name"] = "John Wick", ["EMAIL"] = "john@gmail.com", ["mobile"] = "+91 98765 43210" }
                : [];
            for (var i = attributes.Count; i < 100; i++)
            {
                attributes[(prefix + i.ToString("D3", CultureInfo.InvariantCulture)).PadRight(49, 'n')] = i;
            }

            return attributes;
        }
    }

    [Fact]
    public async Task FlushIntervalOfAnHour_DoesNotDelayRestSends()
    {
        var options = DefaultOptions();
        options.FlushInterval = TimeSpan.FromHours(1);
        await using var client = new GrowlyticsClient(options);
        var clock = Stopwatch.StartNew();

        client.Customers.Update("c-now", Attributes(("n", 1)));
        await WithoutFlushAsync(1);
        client.User.Push(Attributes(("held", true)));
        client.User.Identify("u-now", Attributes(("n", 2)));
        await WithoutFlushAsync(2);
        client.User.Push(Attributes(("n", 3)));
        await WithoutFlushAsync(3);

        clock.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(20), "nothing waits for the flush interval");
        _collector.Requests.Select(r => r.Id).Should().Equal("c-now", "u-now", "u-now");
        await EventuallyAsync(() => client.Statistics.Pending == 0, "the last response is counted");
        ShouldBeSettled(client.Statistics, delivered: 4);
    }

    // The defaults (REST, its concurrency, a 5 s flush interval, no storage, process-wide session) but for where and which key.
    private GrowlyticsOptions DefaultOptions() => new() { ApiKey = RestCollector.ApiKey, Endpoint = _collector.Endpoint };

    // A client with the default options, logging at Trace to logs, whose MessageDropped events are queued.
    private (GrowlyticsClient Client, ILoggerFactory Logging, ConcurrentQueue<MessageDroppedEventArgs> Dropped) ClientReportingDrops(RecordingLoggerProvider logs)
    {
        var loggerFactory = LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Trace).AddProvider(logs));
        var options = DefaultOptions();
        options.LoggerFactory = loggerFactory;
        var dropped = new ConcurrentQueue<MessageDroppedEventArgs>();
        var client = new GrowlyticsClient(options);
        client.MessageDropped += (_, e) => dropped.Enqueue(e);
        return (client, loggerFactory, dropped);
    }

    private static Dictionary<string, object?> Attributes(params (string Name, object? Value)[] attributes) =>
        attributes.ToDictionary(a => a.Name, a => a.Value);

    private static void ShouldBeBalanced(GrowlyticsStatistics statistics) =>
        statistics.Enqueued.Should().Be(statistics.Delivered + statistics.Dropped + statistics.Pending, "Enqueued = Delivered + Dropped + Pending");

    private static void ShouldBeSettled(GrowlyticsStatistics statistics, long delivered, long dropped = 0)
    {
        (statistics.Enqueued, statistics.Delivered, statistics.Dropped, statistics.Pending).Should().Be((delivered + dropped, delivered, dropped, 0));
        ShouldBeBalanced(statistics);
    }

    // A request the collector must see within seconds, with no FlushAsync to hurry it.
    private async Task WithoutFlushAsync(int requests)
    {
        var clock = Stopwatch.StartNew();
        while (_collector.Requests.Count < requests)
        {
            clock.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(10), $"request {requests} goes out without waiting for the flush interval");
            await Task.Delay(5);
        }
    }
}
