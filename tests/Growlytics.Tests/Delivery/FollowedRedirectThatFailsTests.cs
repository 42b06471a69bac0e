using System.Collections.Concurrent;
using GrowlyticsSdk.Tests.TestSupport;

namespace GrowlyticsSdk.Tests.Delivery;

/// <summary>
/// An app-supplied HttpClient that follows a redirect is noticed ("the final request URI is not the one
/// it sent"), the request counts as failed (Rejected, never retried) and a warning (5002) is given. A followed redirect
/// whose last hop fails (reset, refused, slower than RequestTimeout) throws instead of answering: it must be noticed too,
/// not retried, which sends the key to the redirect target again on every attempt.
/// </summary>
public sealed class FollowedRedirectThatFailsTests
{
    private static readonly Uri Endpoint = new("https://collector.test/");
    private static readonly Uri OtherHost = new("https://other.test/steal");

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Send_CallerHttpClientFollowsARedirectWhoseHopFails_NotRetriedCountedRejectedAndWarned(bool hangs)
    {
        var handler = new FollowThenFailHandler(OtherHost, hangs);
        using var http = new HttpClient(handler);
        var log = new DeliveryLog();
        var client = new GrowlyticsClient(new GrowlyticsOptions
        {
            ApiKey = "gk_live_redirect_key_77",
            Endpoint = Endpoint,
            HttpClient = http,
            LoggerFactory = log,
            FlushOnProcessExit = false,
            MaxRetryAttempts = 3,
            RetryBaseDelay = TimeSpan.FromMilliseconds(1),
            RequestTimeout = TimeSpan.FromMilliseconds(300),
        });
        await using (client)
        {
            client.Customers.Update("c-1", new { plan = "pro" });
            await client.FlushAsync(new CancellationTokenSource(TimeSpan.FromSeconds(20)).Token);

            handler.Hops.Count(h => h.Host == OtherHost.Host).Should().Be(1, "a followed redirect is refused, never retried: each retry sends the key to the redirect target again");
            client.Statistics.DroppedByReason[DropReason.Rejected].Should().Be(1);
            client.Statistics.Retried.Should().Be(0);
            log.WithId(5002).Should().ContainSingle();
        }
    }

    /// <summary>
    /// Answers as an HttpClientHandler with AllowAutoRedirect = true does when the endpoint answers 307 to another host and
    /// that host fails: the handler rewrites request.RequestUri to the redirect target, sends the request (with its headers,
    /// the key included) there, and the hop throws (or hangs until the attempt is cancelled).
    /// </summary>
    private sealed class FollowThenFailHandler(Uri target, bool hangs) : HttpMessageHandler
    {
        private readonly ConcurrentQueue<Uri> _hops = new();

        public IReadOnlyList<Uri> Hops => [.. _hops];

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            _hops.Enqueue(request.RequestUri!);
            request.RequestUri = target;
            _hops.Enqueue(request.RequestUri);
            if (hangs)
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }

            throw new HttpRequestException("The redirect target closed the connection.");
        }
    }
}
