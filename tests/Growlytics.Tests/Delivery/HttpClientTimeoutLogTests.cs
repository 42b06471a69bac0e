using GrowlyticsSdk.Tests.TestSupport;

namespace GrowlyticsSdk.Tests.Delivery;

/// <summary>
/// An app's <see cref="HttpClient"/> whose <see cref="HttpClient.Timeout"/> ends attempts before
/// <see cref="GrowlyticsOptions.RequestTimeout"/> does: .NET reports it as a <see cref="TaskCanceledException"/>, and
/// events 2003 (retried) and 2004 (out of retries) named only that, which reads as a cancellation by the app (a shutdown,
/// a token) rather than a timeout. They say it was the HttpClient's timeout.
/// </summary>
public sealed class HttpClientTimeoutLogTests
{
    [Fact]
    public async Task Send_HttpClientTimeoutEndsEveryAttempt_RetryAndOutOfRetriesLinesNameTheHttpClientTimeout()
    {
        // Real time: the HttpClient's timeout does not run on the SDK's clock. RequestTimeout (10 min on the fake clock) and
        // the retry budget never end an attempt here.
        using var http = new HttpClient(new UnansweredHandler()) { Timeout = TimeSpan.FromMilliseconds(200) };
        await using var h = new DeliveryHarness(o =>
        {
            o.HttpClient = http;
            o.MaxRetryAttempts = 1;
        });
        h.Push(1);

        await h.FlushAsync(TimeSpan.FromMilliseconds(50));

        var stats = h.AssertBalanced();
        stats.DroppedByReason[DropReason.RetriesExhausted].Should().Be(1);
        stats.Retried.Should().Be(1);
        h.Log.WithId(2003).Should().ContainSingle().Which.Fields["Outcome"].Should().Be("TaskCanceledException (HttpClient.Timeout)");
        h.Log.WithId(2004).Should().ContainSingle().Which.Fields["Outcome"].Should().Be("TaskCanceledException (HttpClient.Timeout)");
    }

    // A service that never answers: the attempt ends only when its token is cancelled.
    private sealed class UnansweredHandler : HttpMessageHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            await Task.Delay(Timeout.InfiniteTimeSpan, cancellationToken);
            throw new InvalidOperationException("unreachable");
        }
    }
}
