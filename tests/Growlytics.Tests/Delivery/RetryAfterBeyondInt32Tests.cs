using System.Collections.Concurrent;
using System.Net;
using GrowlyticsSdk.Tests.TestSupport;

namespace GrowlyticsSdk.Tests.Delivery;

/// <summary>
/// A Retry-After in seconds is any run of digits (RFC 9110); .NET reads at most int.MaxValue. A larger one was taken as no
/// Retry-After at all: retried within the backoff (milliseconds) instead of after MaxRetryDelay, while 2147483647 waited the cap.
/// Anything else .NET does not read (a word, nothing, a number with a unit or a sign, a list) is no Retry-After.
/// </summary>
public sealed class RetryAfterBeyondInt32Tests
{
    [Theory]
    [InlineData(503, "2147483647")]
    [InlineData(503, "2147483648")]
    [InlineData(503, "99999999999999999999")]
    [InlineData(429, "2147483648")]
    [InlineData(408, "99999999999")]
    public async Task RetryAfterBeyondInt32Seconds_WaitsTheCapLikeAnyLongerThanTheCap(int status, string retryAfter)
    {
        var delays = new ConcurrentQueue<TimeSpan>();
        await using var h = new DeliveryHarness(o =>
        {
            o.MaxBatchSize = 1;
            o.MaxRetryDelay = TimeSpan.FromSeconds(20);
            o.RetryDelayObserver = delays.Enqueue;
        });
        h.Responder = r =>
        {
            var response = new HttpResponseMessage(r.Index == 1 ? (HttpStatusCode)status : HttpStatusCode.OK);
            if (r.Index == 1)
            {
                response.Headers.TryAddWithoutValidation("Retry-After", retryAfter);
            }

            return Task.FromResult(response);
        };

        h.Push(1);
        await h.FlushAsync(TimeSpan.FromMilliseconds(500));

        delays.Should().ContainSingle().Which.Should().Be(TimeSpan.FromSeconds(20), "the service asked to wait longer than MaxRetryDelay");
        h.Requests[1].At.Should().BeOnOrAfter(h.Requests[0].At + TimeSpan.FromSeconds(20));
        var stats = h.AssertBalanced();
        stats.Delivered.Should().Be(1);
    }

    [Theory]
    [InlineData("soon")]
    [InlineData("")]
    [InlineData("12s")]
    [InlineData("-5")]
    [InlineData("5, 7")]
    public async Task RetryAfterThatIsNoDelayInSeconds_IsNoRetryAfter_TheRetryWaitsTheBackoff(string retryAfter)
    {
        var delays = new ConcurrentQueue<TimeSpan>();
        await using var h = new DeliveryHarness(o =>
        {
            o.MaxBatchSize = 1;
            o.MaxRetryDelay = TimeSpan.FromSeconds(20);
            o.RetryDelayObserver = delays.Enqueue;
        });
        h.Responder = r =>
        {
            var response = new HttpResponseMessage(r.Index == 1 ? HttpStatusCode.ServiceUnavailable : HttpStatusCode.OK);
            if (r.Index == 1)
            {
                response.Headers.TryAddWithoutValidation("Retry-After", retryAfter);
            }

            return Task.FromResult(response);
        };

        h.Push(1);
        await h.FlushAsync(TimeSpan.FromMilliseconds(50));

        delays.Should().ContainSingle().Which.Should().BeLessThanOrEqualTo(h.Options.RetryBaseDelay, "the first retry's backoff, as without Retry-After");
        h.Requests.Should().HaveCount(2);
        h.AssertBalanced().Delivered.Should().Be(1);
    }
}
