using System.Net;
using GrowlyticsSdk.Tests.TestSupport;

namespace GrowlyticsSdk.Tests.Delivery;

/// <summary>
/// A request whose HTTP handler never ends and does not look at its cancellation token (an app's handler, a test double)
/// must not hold ShutdownAsync (or the batch's partition and flushes) past their bounds.
/// </summary>
public sealed class HungHandlerShutdownTests
{
    private sealed class HangingHandler(bool honoursToken) : HttpMessageHandler
    {
        public int Sent;

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref Sent);
            if (honoursToken)
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }
            else
            {
                // A handler that does not look at the token (an app's DelegatingHandler, a proxy library, a test double).
                await new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously).Task;
            }

            return new HttpResponseMessage(HttpStatusCode.OK);
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task ShutdownAsync_ServiceNeverAnswers_EndsWithinShutdownTimeout(bool honoursToken)
    {
        var handler = new HangingHandler(honoursToken);
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DeliveryHarness.Start);
        var client = new GrowlyticsClient(new GrowlyticsOptions
        {
            ApiKey = DeliveryHarness.ApiKey,
            Protocol = GrowlyticsProtocol.Batch,
            Endpoint = new Uri("https://collector.test/"),
            TimeProvider = time,
            HttpClient = new HttpClient(handler),
            SessionMode = SessionMode.ProcessWide,
            FlushOnProcessExit = false,
            ShutdownTimeout = TimeSpan.FromSeconds(5),
            RequestTimeout = TimeSpan.FromSeconds(2),
        });
        client.User.Push(new Dictionary<string, object?> { ["n"] = 1 });
        var sent = Task.Run(() => FakeClockDriver.WaitUntilAsync(() => Volatile.Read(ref handler.Sent) > 0));
        (await FakeClockDriver.AdvanceUntilAsync(time, sent, TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(100))).Should().BeTrue();

        var shutdown = client.ShutdownAsync();
        // Five minutes of fake time: far past ShutdownTimeout (5 s), RequestTimeout (2 s) and the 250 ms grace.
        var done = await FakeClockDriver.AdvanceUntilAsync(time, shutdown, TimeSpan.FromMinutes(5), TimeSpan.FromMilliseconds(500));
        done.Should().BeTrue("ShutdownAsync returns within ShutdownTimeout (plus the grace) even if a request never ends");
        client.Statistics.Pending.Should().Be(0);
    }

    /// <summary>Hangs its first request without looking at the token; answers 200 to the later ones.</summary>
    private sealed class FirstHangsHandler : HttpMessageHandler
    {
        public int Sent;

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (Interlocked.Increment(ref Sent) == 1)
            {
                await new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously).Task;
            }

            return new HttpResponseMessage(HttpStatusCode.OK);
        }
    }

    [Fact]
    public async Task FlushAsync_FirstAttemptNeverAnswers_RequestTimeoutEndsItAndTheRetryDelivers()
    {
        var handler = new FirstHangsHandler();
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DeliveryHarness.Start);
        await using var client = new GrowlyticsClient(new GrowlyticsOptions
        {
            ApiKey = DeliveryHarness.ApiKey,
            Protocol = GrowlyticsProtocol.Batch,
            Endpoint = new Uri("https://collector.test/"),
            TimeProvider = time,
            HttpClient = new HttpClient(handler),
            SessionMode = SessionMode.ProcessWide,
            FlushOnProcessExit = false,
            RequestTimeout = TimeSpan.FromSeconds(2),
            ShutdownTimeout = TimeSpan.FromSeconds(1),
        });
        client.User.Push(new Dictionary<string, object?> { ["n"] = 1 });
        var flush = client.FlushAsync();

        // Ten minutes of fake time: the attempt's 2 s timeout, then a retry.
        var done = await FakeClockDriver.AdvanceUntilAsync(time, flush, TimeSpan.FromMinutes(10), TimeSpan.FromMilliseconds(500));
        done.Should().BeTrue("RequestTimeout bounds an attempt even when the handler ignores the token");
        client.Statistics.Delivered.Should().Be(1);
    }
}
