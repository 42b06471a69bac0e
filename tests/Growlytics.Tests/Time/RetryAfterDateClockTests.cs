using System.Net;
using System.Net.Http.Headers;
using GrowlyticsSdk.Tests.TestSupport;

namespace GrowlyticsSdk.Tests.Time;

/// <summary>
/// A <c>Retry-After</c> HTTP date is on the service's clock. With the response's <c>Date</c> header (the service's clock
/// too) the wait is the difference of the two: a device clock set ahead (a laptop's clock wrong by an hour, a time zone set
/// as UTC) no longer turns the service's "come back in 9 s" into "now", and one set back no longer stretches it to
/// <see cref="GrowlyticsOptions.MaxRetryDelay"/>.
/// </summary>
public sealed class RetryAfterDateClockTests
{
    [Theory]
    [InlineData(60)]
    [InlineData(-60)]
    [InlineData(24 * 60)]
    public async Task SendAsync_RetryAfterDateWithDateHeader_DeviceClockOff_WaitsWhatTheServiceAsked(int stepMinutes)
    {
        var delays = new System.Collections.Concurrent.ConcurrentQueue<TimeSpan>();
        SteppedClock? clock = null;
        await using var h = new DeliveryHarness(o =>
        {
            o.TimeProvider = clock = new SteppedClock((Microsoft.Extensions.Time.Testing.FakeTimeProvider)o.TimeProvider);
            o.RetryDelayObserver = delays.Enqueue;
        });
        clock!.Step = TimeSpan.FromMinutes(stepMinutes);

        // The service's clock is the true one (the fake time); the device's is off by the step.
        h.Responder = r => Task.FromResult(r.Index == 1 ? ServiceBusy(r.At, TimeSpan.FromSeconds(9)) : new HttpResponseMessage(HttpStatusCode.OK));
        h.Push(1);

        await h.FlushAsync();

        delays.Should().ContainSingle().Which.Should().BeCloseTo(TimeSpan.FromSeconds(9), TimeSpan.FromSeconds(1),
            $"the service asked for 9 s on its own clock; the device's, {stepMinutes} min off, does not change that");
        h.Requests.Should().HaveCount(2);
        (h.Requests[1].At - h.Requests[0].At).Should().BeGreaterThanOrEqualTo(TimeSpan.FromSeconds(8)).And.BeLessThan(TimeSpan.FromSeconds(20));
        h.AssertBalanced().Delivered.Should().Be(1);
    }

    [Fact]
    public async Task SendAsync_RetryAfterDateWithoutDateHeader_IsReadAgainstTheDeviceClock()
    {
        var delays = new System.Collections.Concurrent.ConcurrentQueue<TimeSpan>();
        await using var h = new DeliveryHarness(o => o.RetryDelayObserver = delays.Enqueue);
        h.Responder = r =>
        {
            if (r.Index != 1)
            {
                return Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK));
            }

            var response = new HttpResponseMessage(HttpStatusCode.ServiceUnavailable);
            response.Headers.RetryAfter = new RetryConditionHeaderValue(r.At + TimeSpan.FromSeconds(9));
            return Task.FromResult(response);
        };
        h.Push(1);

        await h.FlushAsync();

        delays.Should().ContainSingle().Which.Should().BeCloseTo(TimeSpan.FromSeconds(9), TimeSpan.FromSeconds(1));
        h.AssertBalanced().Delivered.Should().Be(1);
    }

    [Theory]
    [InlineData(HttpStatusCode.TooManyRequests)]
    [InlineData(HttpStatusCode.ServiceUnavailable)]
    public async Task SendAsync_RetryAfterDateWithoutDateHeader_DeviceClockAhead_DoesNotRetryAtOnceOverAndOver(HttpStatusCode status)
    {
        SteppedClock? clock = null;
        await using var h = new DeliveryHarness(o => o.TimeProvider = clock = new SteppedClock((Microsoft.Extensions.Time.Testing.FakeTimeProvider)o.TimeProvider));

        // The device's clock is an hour ahead of the service's: every "come back in 30 s" date it reads is long past.
        clock!.Step = TimeSpan.FromHours(1);
        h.Responder = r =>
        {
            if (r.At - DeliveryHarness.Start >= TimeSpan.FromSeconds(60))
            {
                return Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK));
            }

            var response = new HttpResponseMessage(status);
            response.Headers.RetryAfter = new RetryConditionHeaderValue(r.At + TimeSpan.FromSeconds(30));
            return Task.FromResult(response);
        };
        h.Push(1);

        // 100 ms steps: the flush ends up to a backoff (30 s at most) after the service takes requests again at 60 s, up to
        // 900 steps. With 20 ms steps (4,500) a slow machine, a few milliseconds a step, ran out of the harness's 20 s.
        await h.FlushAsync(TimeSpan.FromMilliseconds(100));

        // The service asked for one attempt every 30 s; a date that cannot be read as a wait is no reason for one at every
        // step of the clock (600 in the minute) or more.
        h.Requests.Count(r => r.Status != 200).Should().BeLessThan(60,
            "a Retry-After date the device's clock puts in the past must not turn the service's \"later\" into a retry at once, again and again");
        h.AssertBalanced().Delivered.Should().Be(1);
    }

    private static HttpResponseMessage ServiceBusy(DateTimeOffset serviceNow, TimeSpan after)
    {
        var response = new HttpResponseMessage(HttpStatusCode.ServiceUnavailable);
        response.Headers.Date = serviceNow;
        response.Headers.RetryAfter = new RetryConditionHeaderValue(serviceNow + after);
        return response;
    }
}
