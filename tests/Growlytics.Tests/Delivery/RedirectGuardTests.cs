using System.Net;
using GrowlyticsSdk.Delivery;
using GrowlyticsSdk.Tests.TestSupport;
using Microsoft.Extensions.Time.Testing;

namespace GrowlyticsSdk.Tests.Delivery;

/// <summary>
/// A redirect answered by the endpoint is logged (event 5001) at most once a minute, with the redirects since the line
/// before: a misconfigured endpoint answers every request that way.
/// </summary>
public sealed class RedirectGuardTests
{
    private static readonly Uri Sent = new("https://collector.test/events/sdk-batch");

    [Fact]
    public void Inspect_RedirectsATickShortOfAMinuteAfterTheLine_WaitForTheNextOne_AMinuteAfterItIsWrittenWithThem()
    {
        var time = new FakeTimeProvider();
        var log = new DeliveryLog();
        var guard = new RedirectGuard(time, log);

        Refuse(guard);
        time.Advance(TimeSpan.FromMinutes(1) - TimeSpan.FromTicks(1));
        Refuse(guard);
        Refuse(guard);
        log.WithId(5001).Should().ContainSingle("event 5001 is written at most once a minute")
            .Which.Fields["Count"].Should().Be(1L);

        time.Advance(TimeSpan.FromTicks(1));
        Refuse(guard);

        var lines = log.WithId(5001).ToList();
        lines.Should().HaveCount(2, "a minute after the line before, the next redirect is logged");
        lines[1].Fields["Count"].Should().Be(3L, "with the redirects since the line before");
        lines[1].Fields["LocationHost"].Should().Be("other.test");
    }

    private static void Refuse(RedirectGuard guard)
    {
        using var response = new HttpResponseMessage(HttpStatusCode.Found);
        response.Headers.Location = new Uri("https://other.test/steal?token=tok-1");
        guard.Inspect(response, Sent).Should().BeSameAs(response, "a redirect is refused as it came");
    }
}
