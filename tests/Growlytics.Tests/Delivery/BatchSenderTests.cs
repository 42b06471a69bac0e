using System.Net;
using System.Net.Http.Headers;
using System.Runtime.InteropServices;
using GrowlyticsSdk.Diagnostics;
using GrowlyticsSdk.Serialization;
using GrowlyticsSdk.Tests.TestSupport;
using Microsoft.Extensions.Logging;

namespace GrowlyticsSdk.Tests.Delivery;

public sealed class BatchSenderTests
{
    [Theory]
    [InlineData("https://collector.test", "https://collector.test/events/sdk-batch")]
    [InlineData("https://collector.test/", "https://collector.test/events/sdk-batch")]
    [InlineData("https://collector.test/v1", "https://collector.test/v1/events/sdk-batch")]
    [InlineData("https://collector.test/v1/", "https://collector.test/v1/events/sdk-batch")]
    [InlineData("http://127.0.0.1:5080/base", "http://127.0.0.1:5080/base/events/sdk-batch")]
    public async Task SendAsync_AnyEndpointForm_PostsToEventsSdkBatchUnderIt(string endpoint, string expected)
    {
        await using var h = new DeliveryHarness(o => o.Endpoint = new Uri(endpoint));
        h.Push(1);

        await h.FlushAsync();

        h.Requests.Should().ContainSingle().Which.Uri.AbsoluteUri.Should().Be(expected);
        h.Requests[0].Method.Should().Be(HttpMethod.Post);
    }

    [Fact]
    public async Task SendAsync_Batch_SendsGzipWithKeyAndUserAgentHeaders()
    {
        await using var h = new DeliveryHarness();
        h.Push(1);

        await h.FlushAsync();

        var request = h.Requests.Should().ContainSingle().Subject;
        request.ContentHeaders.ContentEncoding.Should().Equal("gzip");
        request.ContentHeaders.ContentType!.MediaType.Should().Be("application/json");
        request.RawBody.Take(2).Should().Equal((byte)0x1f, (byte)0x8b);
        request.Header("x-growlytics-key").Should().Be(DeliveryHarness.ApiKey);
        var userAgent = request.Header("User-Agent");
        userAgent.Should().StartWith("growlytics-dotnet/" + SdkInfo.Version);
        userAgent.Should().Contain(RuntimeInformation.FrameworkDescription.Trim());
        userAgent.Should().Contain(RuntimeInformation.OSDescription.Trim());
    }

    [Fact]
    public async Task SendAsync_UpdateLoginLogout_BodyIsTheDocumentedEnvelope()
    {
        await using var h = new DeliveryHarness();
        using (h.Client.BeginScope("anon-1"))
        {
            h.Client.User.Push(new Dictionary<string, object?> { ["city"] = "San Francisco" });
            h.Client.User.Identify("u-1", new Dictionary<string, object?> { ["plan"] = "pro", ["total"] = 30000 });
            h.Client.User.Logout();
        }

        await h.Client.FlushAsync().WaitAsync(DeliveryHarness.RealTimeout);

        var request = h.Requests.Should().ContainSingle().Subject;
        var ids = request.MessageIds;
        ids.Should().OnlyHaveUniqueItems().And.HaveCount(3).And.AllSatisfy(id => Guid.TryParse(id, out _).Should().BeTrue());
        var ms = DeliveryHarness.Start.ToUnixTimeMilliseconds();
        var expected =
            $$"""{"sentAt":{{ms}},"sdk":{"name":"growlytics-dotnet","version":"{{SdkInfo.Version}}"},"device":{"platform":"DOTNET","osName":"{{SdkInfo.OsName}}","osVersion":"{{SdkInfo.OsVersion}}"},"messages":["""
            + $$"""{"type":"update","messageId":"{{ids[0]}}","eventTimestamp":{{ms}},"anonymousId":"anon-1","userId":null,"attributes":[{"name":"city","type":"string","value":"San Francisco"}]},"""
            + $$"""{"type":"login","messageId":"{{ids[1]}}","eventTimestamp":{{ms}},"anonymousId":"anon-1","userId":"u-1","attributes":[{"name":"plan","type":"string","value":"pro"},{"name":"total","type":"number","value":30000}]},"""
            + $$"""{"type":"logout","messageId":"{{ids[2]}}","eventTimestamp":{{ms}},"anonymousId":"anon-1","userId":"u-1"}]}""";
        request.Json.Should().Be(expected);
    }

    [Theory]
    [InlineData(HttpStatusCode.OK)]
    [InlineData(HttpStatusCode.Accepted)]
    [InlineData(HttpStatusCode.NoContent)]
    public async Task SendAsync_SuccessStatus_CountsDelivered(HttpStatusCode status)
    {
        await using var h = new DeliveryHarness();
        h.RespondInTurn(status);
        h.PushMany(5);

        await h.FlushAsync();

        var stats = h.AssertBalanced();
        stats.Delivered.Should().Be(5);
        stats.BatchesSent.Should().Be(1);
        stats.Dropped.Should().Be(0);
        h.Requests.Should().ContainSingle();
    }

    [Theory]
    [InlineData(HttpStatusCode.RequestTimeout)]
    [InlineData(HttpStatusCode.TooManyRequests)]
    [InlineData(HttpStatusCode.InternalServerError)]
    [InlineData(HttpStatusCode.BadGateway)]
    [InlineData(HttpStatusCode.ServiceUnavailable)]
    [InlineData(HttpStatusCode.GatewayTimeout)]
    public async Task SendAsync_TransientStatus_RetriesWithTheSameMessageIds(HttpStatusCode status)
    {
        await using var h = new DeliveryHarness(o => o.RetryBaseDelay = TimeSpan.FromMilliseconds(200));
        h.RespondInTurn(status, status);
        h.PushMany(4);

        await h.FlushAsync();

        h.Requests.Should().HaveCount(3);
        h.Requests.Select(r => r.MessageIds).Should().AllBeEquivalentTo(h.Requests[0].MessageIds, o => o.WithStrictOrdering());
        h.Requests.Select(r => r.Status).Should().Equal((int)status, (int)status, 200);
        var stats = h.AssertBalanced();
        stats.Delivered.Should().Be(4);
        stats.Retried.Should().Be(2);

        // Retries are logged once per interval with how many there were, not once each.
        h.Log.WithId(2003).Should().ContainSingle().Which.Fields["Count"].Should().Be(1L);
    }

    [Fact]
    public async Task SendAsync_NetworkError_RetriesWithTheSameMessageIds()
    {
        await using var h = new DeliveryHarness(o => o.RetryBaseDelay = TimeSpan.FromMilliseconds(200));
        var failures = 2;
        h.Responder = _ => Interlocked.Decrement(ref failures) >= 0
            ? throw new HttpRequestException(HttpRequestError.ConnectionError, "connection reset", new System.Net.Sockets.SocketException((int)System.Net.Sockets.SocketError.ConnectionReset))
            : Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK));
        h.PushMany(3);

        await h.FlushAsync();

        h.Requests.Should().HaveCount(3);
        h.Requests.Select(r => r.MessageIds).Should().AllBeEquivalentTo(h.Requests[0].MessageIds, o => o.WithStrictOrdering());
        var stats = h.AssertBalanced();
        stats.Delivered.Should().Be(3);
        stats.Retried.Should().Be(2);
#if GROWLYTICS_LIBRARY_NETSTANDARD
        const string Kind = "HttpRequestException (ConnectionReset)"; // the netstandard2.0 build reads the socket's error
#else
        const string Kind = "HttpRequestException (ConnectionError)";
#endif
        h.Log.WithId(2003).Should().ContainSingle().Which.Fields["Outcome"].Should().Be(Kind, "the kind of failure, not its message");
    }

    [Fact]
    public async Task SendAsync_AttemptSlowerThanRequestTimeout_IsAbandonedAndRetried()
    {
        await using var h = new DeliveryHarness(o =>
        {
            o.RequestTimeout = TimeSpan.FromSeconds(30);
            o.RetryBaseDelay = TimeSpan.FromMilliseconds(100);
        });
        var slow = new TaskCompletionSource<HttpResponseMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        h.Responder = r => r.Index == 1 ? slow.Task : Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK));
        h.PushMany(3);

        await h.FlushAsync();
        slow.TrySetResult(new HttpResponseMessage(HttpStatusCode.OK));

        h.Requests.Should().HaveCount(2);
        h.Requests[1].MessageIds.Should().Equal(h.Requests[0].MessageIds);
        (h.Requests[1].At - h.Requests[0].At).Should().BeGreaterThanOrEqualTo(TimeSpan.FromSeconds(20), "the attempt is abandoned at its timeout, not at once");
        var stats = h.AssertBalanced();
        stats.Delivered.Should().Be(3);
        stats.Retried.Should().Be(1);
        h.Log.WithId(2003).Should().ContainSingle().Which.Text.Should().Contain("TimeoutRejectedException");
    }

    [Theory]
    [InlineData(HttpStatusCode.BadRequest)]
    [InlineData(HttpStatusCode.NotFound)]
    [InlineData(HttpStatusCode.UnprocessableEntity)]
    public async Task SendAsync_OtherClientError_DropsBatchAsRejectedWithAnErrorLog(HttpStatusCode status)
    {
        await using var h = new DeliveryHarness();
        h.RespondInTurn(status);
        h.PushMany(4);
        h.Push(4, text: DeliveryHarness.SecretValue);

        await h.FlushAsync();

        h.Requests.Should().ContainSingle("a client error is not retried");
        var stats = h.AssertBalanced();
        stats.DroppedByReason[DropReason.Rejected].Should().Be(5);
        stats.Delivered.Should().Be(0);
        var log = h.Log.WithId(2005).Should().ContainSingle().Subject;
        log.Level.Should().Be(LogLevel.Error);
        log.Fields["Status"].Should().Be((int)status);
        log.Text.Should().Contain(((int)status).ToString(System.Globalization.CultureInfo.InvariantCulture));
        log.Fields["Target"].Should().Be("https://collector.test/events/sdk-batch", "a wrong endpoint shows in the line");

        h.PushMany(2, from: 10);
        await h.FlushAsync();
        h.AssertBalanced().Delivered.Should().Be(2, "a rejected batch does not stop later ones");
    }

    [Fact]
    public async Task SendAsync_200WithASuccessFalseBody_IsADeliveryWithTheBatchProtocol()
    {
        await using var h = new DeliveryHarness();
        h.Responder = _ => Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent("{\"success\":false}") });
        h.PushMany(3);

        await h.FlushAsync();

        h.AssertBalanced().Delivered.Should().Be(3, "only the REST API documents a success body");
        h.Log.WithId(2005).Should().BeEmpty();
    }

    [Theory]
    [InlineData(HttpStatusCode.Unauthorized)]
    [InlineData(HttpStatusCode.Forbidden)]
    public async Task SendAsync_KeyRefused_StopsSendingLogsOnceAndCountsLaterMessages(HttpStatusCode status)
    {
        await using var h = new DeliveryHarness(o =>
        {
            o.MaxBatchSize = 5;
            o.MaxQueueSize = 20;
        });
        h.Responder = _ => Task.FromResult(new HttpResponseMessage(status));
        h.PushMany(12);

        await h.FlushAsync();
        h.PushMany(100, from: 100);
        await h.FlushAsync();
        await h.AdvanceUntilAsync(() => h.Time.GetUtcNow() > DeliveryHarness.Start + TimeSpan.FromMinutes(1), TimeSpan.FromSeconds(1));

        h.Requests.Should().ContainSingle("nothing is sent after the key was refused");
        var stats = h.AssertBalanced();
        stats.DroppedByReason[DropReason.Unauthorized].Should().Be(112);
        stats.DroppedByReason[DropReason.QueueFull].Should().Be(0, "refused messages are counted at once instead of filling the queue");
        stats.Pending.Should().Be(0);
        h.Log.WithId(2006).Should().ContainSingle().Which.Level.Should().Be(LogLevel.Error);
    }

    [Fact]
    public async Task SendAsync_RetryAfterSeconds_WaitsThatLong()
    {
        await using var h = new DeliveryHarness(o => o.RetryBaseDelay = TimeSpan.FromMilliseconds(10));
        h.Responder = r => Task.FromResult(r.Index == 1 ? WithRetryAfter(new RetryConditionHeaderValue(TimeSpan.FromSeconds(7))) : new HttpResponseMessage(HttpStatusCode.OK));
        h.Push(1);

        await h.FlushAsync();

        h.Requests.Should().HaveCount(2);
        (h.Requests[1].At - h.Requests[0].At).Should().BeGreaterThanOrEqualTo(TimeSpan.FromSeconds(7)).And.BeLessThan(TimeSpan.FromSeconds(15));
        h.AssertBalanced().Delivered.Should().Be(1);
    }

    [Fact]
    public async Task SendAsync_RetryAfterZero_WaitsTheLeastABackoffWaits()
    {
        var delays = new System.Collections.Concurrent.ConcurrentQueue<TimeSpan>();
        await using var h = new DeliveryHarness(o => o.RetryDelayObserver = delays.Enqueue);
        h.Responder = r => Task.FromResult(r.Index == 1 ? WithRetryAfter(new RetryConditionHeaderValue(TimeSpan.Zero)) : new HttpResponseMessage(HttpStatusCode.OK));
        h.Push(1);

        await h.FlushAsync();

        delays.Should().Equal([TimeSpan.FromMilliseconds(1)], "\"now\" waits 1 ms, like the shortest backoff");
        h.Requests.Should().HaveCount(2);
        h.AssertBalanced().Delivered.Should().Be(1);
    }

    [Fact]
    public async Task SendAsync_RetryAfterDate_WaitsUntilThen()
    {
        await using var h = new DeliveryHarness(o => o.RetryBaseDelay = TimeSpan.FromMilliseconds(10));
        h.Responder = r => Task.FromResult(r.Index == 1
            ? WithRetryAfter(new RetryConditionHeaderValue(r.At + TimeSpan.FromSeconds(9)))
            : new HttpResponseMessage(HttpStatusCode.OK));
        h.Push(1);

        await h.FlushAsync();

        h.Requests.Should().HaveCount(2);
        (h.Requests[1].At - h.Requests[0].At).Should().BeGreaterThanOrEqualTo(TimeSpan.FromSeconds(8)).And.BeLessThan(TimeSpan.FromSeconds(20));
    }

    [Fact]
    public async Task SendAsync_RetryAfterBeyondMaxRetryDelay_WaitsOnlyTheCap()
    {
        await using var h = new DeliveryHarness(o =>
        {
            o.RetryBaseDelay = TimeSpan.FromMilliseconds(10);
            o.MaxRetryDelay = TimeSpan.FromSeconds(5);
        });
        h.Responder = r => Task.FromResult(r.Index == 1 ? WithRetryAfter(new RetryConditionHeaderValue(TimeSpan.FromHours(1))) : new HttpResponseMessage(HttpStatusCode.OK));
        h.Push(1);

        await h.FlushAsync();

        h.Requests.Should().HaveCount(2);
        (h.Requests[1].At - h.Requests[0].At).Should().BeGreaterThanOrEqualTo(TimeSpan.FromSeconds(5)).And.BeLessThan(TimeSpan.FromMinutes(1));
    }

    [Fact]
    public async Task SendAsync_ServerKeepsFailing_DelaysStayWithinTheJitterCeiling()
    {
        var delays = new System.Collections.Concurrent.ConcurrentQueue<TimeSpan>();
        await using var h = new DeliveryHarness(o =>
        {
            o.RetryDelayObserver = delays.Enqueue;
            o.RetryBaseDelay = TimeSpan.FromSeconds(10);
            o.MaxRetryDelay = TimeSpan.FromSeconds(30);
            o.MaxRetryAttempts = 3;
            o.RetryBudget = TimeSpan.FromMinutes(10);
        });
        h.Responder = _ => Task.FromResult(new HttpResponseMessage(HttpStatusCode.ServiceUnavailable));
        h.Push(1);

        await h.FlushAsync(TimeSpan.FromMilliseconds(250));

        // Ceilings 10, 20 and 30 (40 capped) seconds; each retry went no sooner than its delay (the fake clock's steps
        // and a busy machine only make the gaps longer; its timers count whole milliseconds).
        h.Requests.Should().HaveCount(4, "one attempt and three retries");
        var waited = delays.ToArray();
        waited.Should().HaveCount(3);
        waited[0].Should().BeLessThanOrEqualTo(TimeSpan.FromSeconds(10));
        waited[1].Should().BeLessThanOrEqualTo(TimeSpan.FromSeconds(20));
        waited[2].Should().BeLessThanOrEqualTo(TimeSpan.FromSeconds(30));
        for (var i = 0; i < 3; i++)
        {
            (h.Requests[i + 1].At - h.Requests[i].At).Should().BeGreaterThanOrEqualTo(waited[i] - TimeSpan.FromMilliseconds(1));
        }

        var stats = h.AssertBalanced();
        stats.DroppedByReason[DropReason.RetriesExhausted].Should().Be(1);
        stats.Retried.Should().Be(3);
        h.Log.WithId(2004).Should().ContainSingle().Which.Fields["Count"].Should().Be(1);
    }

    [Fact]
    public async Task SendAsync_OutageLongerThanRetryBudget_DropsAsRetriesExhaustedWithinTheBudget()
    {
        await using var h = ThreeMessagesInA503OutageWithATenSecondBudget();

        await h.FlushAsync();

        var elapsed = h.Time.GetUtcNow() - DeliveryHarness.Start;
        elapsed.Should().BeGreaterThanOrEqualTo(TimeSpan.FromSeconds(10)).And.BeLessThan(TimeSpan.FromSeconds(25));
        var stats = h.AssertBalanced();
        stats.DroppedByReason[DropReason.RetriesExhausted].Should().Be(3);
        stats.Delivered.Should().Be(0);
        stats.Retried.Should().Be(h.Requests.Count - 1, "every request but the first was a retry; the last one's retry was ended by the budget while it waited, so it is not one");
        var exhausted = h.Log.WithId(2004).Should().ContainSingle().Subject;
        exhausted.Fields["Count"].Should().Be(3);
        exhausted.Fields["Target"].Should().Be("https://collector.test/events/sdk-batch");
    }

    [Fact]
    public async Task SendAsync_RetryBudgetSpentOn503s_LogSaysTheBudgetRanOutAndTheLastAnswer()
    {
        await using var h = ThreeMessagesInA503OutageWithATenSecondBudget();

        await h.FlushAsync();

        // Every answer was a 503: the line must not read as if the service had timed out (Polly's TimeoutRejectedException).
        var outcome = h.Log.WithId(2004).Should().ContainSingle().Subject.Fields["Outcome"].Should().BeOfType<string>().Subject;
        outcome.Should().NotContain("TimeoutRejectedException").And.Contain("RetryBudget").And.Contain("503");
    }

    [Fact]
    public async Task SendAsync_LongOutage_CircuitBreakerStopsTheRetryStormThenRecovers()
    {
        var breakDuration = TimeSpan.FromSeconds(30);
        await using var h = new DeliveryHarness(o =>
        {
            o.MaxBatchSize = 2;
            o.MaxRetryAttempts = 100;
            o.RetryBaseDelay = TimeSpan.FromMilliseconds(100);
            o.MaxRetryDelay = TimeSpan.FromMilliseconds(200);
            o.RetryBudget = TimeSpan.FromMinutes(30);
            o.CircuitBreakDuration = breakDuration;
        });
        var down = 1;
        h.Responder = _ => Task.FromResult(new HttpResponseMessage(Volatile.Read(ref down) == 1 ? HttpStatusCode.ServiceUnavailable : HttpStatusCode.OK));
        h.PushMany(6);

        var outage = TimeSpan.FromMinutes(3);
        await h.AdvanceUntilAsync(() => h.Time.GetUtcNow() - DeliveryHarness.Start >= outage, TimeSpan.FromMilliseconds(250));

        // Without the breaker the 100-200 ms backoff would make ~1,000 requests in three minutes.
        var during = h.Requests;
        // Three batches fail side by side until the breaker has seen its minimum throughput of 8 requests; then one probe per break.
        const int BeforeOpen = 8;
        during.Count.Should().BeGreaterThanOrEqualTo(BeforeOpen).And.BeLessThanOrEqualTo(BeforeOpen + (int)(outage / breakDuration) + 1);
        for (var i = BeforeOpen + 1; i < during.Count; i++)
        {
            (during[i].At - during[i - 1].At).Should().BeGreaterThanOrEqualTo(breakDuration - TimeSpan.FromSeconds(1), "the open circuit lets one probe through per break");
        }

        Volatile.Write(ref down, 0);
        await h.FlushAsync(TimeSpan.FromMilliseconds(250));
        var stats = h.AssertBalanced();
        stats.Delivered.Should().Be(6);
        stats.Pending.Should().Be(0);
    }

    [Fact]
    public async Task SendAsync_OutageAfterBusyHealthyTraffic_OpensTheCircuitWithinSeconds()
    {
        var breakDuration = TimeSpan.FromSeconds(15);
        await using var h = new DeliveryHarness(o =>
        {
            o.MaxBatchSize = 10;
            o.MaxRetryAttempts = 100;
            o.RetryBaseDelay = TimeSpan.FromMilliseconds(100);
            o.MaxRetryDelay = TimeSpan.FromSeconds(1);
            o.RetryBudget = TimeSpan.FromHours(1);
            o.CircuitBreakDuration = breakDuration;
        });
        var down = 0;
        h.Responder = _ => Task.FromResult(new HttpResponseMessage(Volatile.Read(ref down) == 1 ? HttpStatusCode.ServiceUnavailable : HttpStatusCode.OK));
        var n = 0;
        async Task PushForAsync(TimeSpan span)
        {
            // 100 updates a second from 200 users, in steps of 100 ms of fake time.
            var end = h.Time.GetUtcNow() + span;
            while (h.Time.GetUtcNow() < end)
            {
                for (var i = 0; i < 10; i++, n++)
                {
                    h.Push(n, anonymousId: "user-" + (n % 200));
                }

                await Task.Delay(2);
                h.Time.Advance(TimeSpan.FromMilliseconds(100));
            }
        }

        // Twenty seconds of healthy traffic (some 200 requests), then an outage while the app keeps pushing.
        await PushForAsync(TimeSpan.FromSeconds(20));
        var healthy = h.Requests.Count;
        healthy.Should().BeGreaterThan(100);
        Volatile.Write(ref down, 1);
        var outageStart = h.Time.GetUtcNow();
        await PushForAsync(TimeSpan.FromSeconds(20));

        // The successes before the outage do not hold the circuit closed: within the breaker's 5 s window most attempts
        // fail, it opens, and from then on one probe goes per break.
        var late = h.Requests.Count(r => r.At >= outageStart + TimeSpan.FromSeconds(6));
        late.Should().BeLessThanOrEqualTo(2, "after the first seconds of the outage the open circuit lets one probe through per {0}", breakDuration);
        h.Requests.Count(r => r.At >= outageStart).Should().BeGreaterThanOrEqualTo(8, "the breaker needs 8 attempts in its window");

        Volatile.Write(ref down, 0);
        await h.FlushAsync(TimeSpan.FromMilliseconds(500));
        var stats = h.AssertBalanced();
        stats.Delivered.Should().Be(n);
        stats.Pending.Should().Be(0);
    }

    [Fact]
    public async Task SendAsync_PayloadTooLarge_SplitsIntoHalvesAndKeepsOrder()
    {
        await using var h = new DeliveryHarness(o => o.MaxBatchSize = 8);
        h.Responder = r => Task.FromResult(new HttpResponseMessage(r.MessageIds.Count > 2 ? HttpStatusCode.RequestEntityTooLarge : HttpStatusCode.OK));
        h.PushMany(8);

        await h.FlushAsync();

        h.Requests.Select(r => r.MessageIds.Count).Should().Equal(8, 4, 2, 2, 4, 2, 2);
        h.Accepted.SelectMany(r => r.Numbers).Should().Equal(0, 1, 2, 3, 4, 5, 6, 7);
        var stats = h.AssertBalanced();
        stats.Delivered.Should().Be(8);
        stats.BatchesSent.Should().Be(4);
        stats.Dropped.Should().Be(0);
    }

    [Fact]
    public async Task SendAsync_SingleMessageStillTooLarge_DropsOnlyThatOneAsTooLarge()
    {
        await using var h = new DeliveryHarness(o => o.MaxBatchSize = 4);
        h.Responder = r => Task.FromResult(new HttpResponseMessage(r.Numbers.Contains(2) ? HttpStatusCode.RequestEntityTooLarge : HttpStatusCode.OK));
        h.PushMany(4);

        await h.FlushAsync();

        h.Requests.Select(r => r.Numbers.ToArray()).Should().BeEquivalentTo(new long[][] { [0, 1, 2, 3], [0, 1], [2, 3], [2], [3] }, o => o.WithStrictOrdering());
        var stats = h.AssertBalanced();
        stats.Delivered.Should().Be(3);
        stats.DroppedByReason[DropReason.TooLarge].Should().Be(1);
        h.Log.WithId(2008).Should().ContainSingle();
    }

    private static HttpResponseMessage WithRetryAfter(RetryConditionHeaderValue retryAfter)
    {
        var response = new HttpResponseMessage(HttpStatusCode.ServiceUnavailable);
        response.Headers.RetryAfter = retryAfter;
        return response;
    }

    // Three messages (one batch) that every attempt answers 503, retried every second or so, well within
    // MaxRetryAttempts and before the circuit's long break: the 10 s RetryBudget is what ends them.
    private static DeliveryHarness ThreeMessagesInA503OutageWithATenSecondBudget()
    {
        var h = new DeliveryHarness(o =>
        {
            o.MaxBatchSize = 3;
            o.MaxRetryAttempts = 100;
            o.RetryBaseDelay = TimeSpan.FromMilliseconds(500);
            o.MaxRetryDelay = TimeSpan.FromSeconds(1);
            o.RetryBudget = TimeSpan.FromSeconds(10);
            o.RequestTimeout = TimeSpan.FromSeconds(10);
            o.CircuitBreakDuration = TimeSpan.FromMinutes(5);
        });
        h.Responder = _ => Task.FromResult(new HttpResponseMessage(HttpStatusCode.ServiceUnavailable));
        h.PushMany(3);
        return h;
    }
}
