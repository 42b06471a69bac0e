using System.Collections.Concurrent;
using System.Net;
using System.Text;
using GrowlyticsSdk.Delivery;
using GrowlyticsSdk.Diagnostics;
using GrowlyticsSdk.Protocols;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using static GrowlyticsSdk.Tests.TestSupport.FakeClockDriver;

namespace GrowlyticsSdk.Tests.Delivery;

/// <summary>
/// A request that fails while the service accepts the others is retried within <see cref="GrowlyticsOptions.RetryBaseDelay"/>
/// every time, even when a retry went before any other answer came in.
/// </summary>
public sealed class IsolatedFailureRetryTests
{
    [Fact]
    public async Task SendAsync_OneRequestFailsWhileTheOthersWereAccepted_EveryRetryWaitsAtMostTheBaseDelay()
    {
        var time = new FakeTimeProvider();
        var delays = new ConcurrentQueue<TimeSpan>();
        var options = new GrowlyticsOptions
        {
            ApiKey = "key",
            Endpoint = new Uri("https://collector.test/"),
            Protocol = GrowlyticsProtocol.Batch,
            TimeProvider = time,
            MaxRetryAttempts = 6,
            RetryBaseDelay = TimeSpan.FromMilliseconds(100),
            RetryDelayObserver = delays.Enqueue,
        };
        var answers = new FailingOne();
        using var http = new HttpClient(answers);
        var limiter = new ConcurrencyLimiter(8, time, () => { });
        var sender = new RequestSender(options, WireProtocols.Create(options), () => http, limiter, new DeliveryCounters(), NullLogger.Instance);

        // The failing request goes first and waits out its first backoff (the fake clock stands still)...
        var failing = sender.SendAsync([Encoding.UTF8.GetBytes(FailingOne.Marker)], holdsSlot: false, CancellationToken.None);
        await WaitUntilAsync(() => answers.Failed == 1);

        // ...while the service accepts twenty others.
        for (var i = 0; i < 20; i++)
        {
            var results = await sender.SendAsync(["{}"u8.ToArray()], holdsSlot: false, CancellationToken.None);
            results.Should().ContainSingle().Which.Outcome.Should().Be(SendOutcome.Delivered);
        }

        // Its retries then go one after another, each failing before any other answer comes in.
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!failing.IsCompleted)
        {
            if (clock.Elapsed > TimeSpan.FromSeconds(30))
            {
                throw new TimeoutException("The failing request still runs after 30 s of real time.");
            }

            time.Advance(TimeSpan.FromMilliseconds(10));
            await Task.Delay(2);
        }

        (await failing).Should().ContainSingle().Which.Outcome.Should().NotBe(SendOutcome.Delivered);
        answers.Failed.Should().Be(7, "the first attempt and six retries");
        delays.Should().HaveCount(6).And.OnlyContain(d => d <= options.RetryBaseDelay, "the others were accepted and failures are a minority: each retry is the request's own");
    }

    // Answers 503 to the requests carrying Marker, 200 to the others.
    private sealed class FailingOne : HttpMessageHandler
    {
        public const string Marker = "{\"failing\":true}";
        private int _failed;

        public int Failed => Volatile.Read(ref _failed);

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var body = await request.Content!.ReadAsByteArrayAsync(cancellationToken);
            using var gzip = new System.IO.Compression.GZipStream(new MemoryStream(body), System.IO.Compression.CompressionMode.Decompress);
            using var reader = new StreamReader(gzip, Encoding.UTF8);
            if ((await reader.ReadToEndAsync(cancellationToken)).Contains("\"failing\"", StringComparison.Ordinal))
            {
                Interlocked.Increment(ref _failed);
                return new HttpResponseMessage(HttpStatusCode.ServiceUnavailable);
            }

            return new HttpResponseMessage(HttpStatusCode.OK);
        }
    }
}
