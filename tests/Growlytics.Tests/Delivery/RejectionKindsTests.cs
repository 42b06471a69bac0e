using GrowlyticsSdk.Delivery;
using GrowlyticsSdk.Tests.TestSupport;
using Microsoft.Extensions.Time.Testing;

namespace GrowlyticsSdk.Tests.Delivery;

/// <summary>
/// Refusals (event 2005) are logged once per interval per kind (status, field and rule) for 32 kinds; refusals of kinds
/// beyond them (answers naming many different fields) share one line, which names the latest kind.
/// </summary>
public sealed class RejectionKindsTests
{
    [Fact]
    public void Report_ThirtyFourKindsWithinTheInterval_ThirtyTwoLinesOfTheirOwn_TheRestShareOne()
    {
        var log = new DeliveryLog();
        var reports = new RejectionReports(new FakeTimeProvider(), TimeSpan.FromSeconds(10), log, "https://collector.test/");

        for (var kind = 0; kind < 34; kind++)
        {
            reports.Report(1, 422, "attributes.field" + kind, "required");
        }

        var lines = log.WithId(2005).ToList();
        lines.Should().HaveCount(33, "32 kinds have lines of their own, the 33rd starts the shared line and the 34th waits for its interval");
        lines.Take(32).Select(l => l.Fields["Path"]).Should().Equal(Enumerable.Range(0, 32).Select(k => "attributes.field" + k));
        lines[32].Fields["Path"].Should().Be("attributes.field32");

        reports.ReportUnreported();
        lines = log.WithId(2005).ToList();
        lines.Should().HaveCount(34);
        lines[33].Fields["Path"].Should().Be("attributes.field33", "the shared line names the latest kind");
        lines[33].Fields["Count"].Should().Be(1L);
    }
}
