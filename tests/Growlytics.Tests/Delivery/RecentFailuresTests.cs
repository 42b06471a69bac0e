using GrowlyticsSdk.Delivery;

namespace GrowlyticsSdk.Tests.Delivery;

public sealed class RecentFailuresTests
{
    [Fact]
    public void FailuresAreAMinority_FewerAttemptsKnownThanTheMinimum_IsFalse()
    {
        var recent = new RecentFailures();
        for (var i = 0; i < RecentFailures.MinimumKnown - 1; i++)
        {
            recent.Record(failed: false);
        }

        recent.FailuresAreAMinority.Should().BeFalse("a client that has just started cannot tell a minority from an outage");
        recent.Record(failed: false);
        recent.FailuresAreAMinority.Should().BeTrue();
    }

    [Theory]
    [InlineData(0, true)]
    [InlineData(15, true)]
    [InlineData(16, false)]
    [InlineData(32, false)]
    public void FailuresAreAMinority_WindowFull_IsTrueOnlyBelowHalf(int failures, bool expected)
    {
        var recent = new RecentFailures();
        for (var i = 0; i < RecentFailures.Window; i++)
        {
            recent.Record(failed: i < failures);
        }

        recent.FailuresAreAMinority.Should().Be(expected);
    }

    [Fact]
    public void FailuresAreAMinority_OutageThenRecovery_ForgetsAttemptsOlderThanTheWindow()
    {
        var recent = new RecentFailures();
        for (var i = 0; i < 100; i++)
        {
            recent.Record(failed: true);
        }

        recent.FailuresAreAMinority.Should().BeFalse();
        for (var i = 0; i < RecentFailures.Window / 2; i++)
        {
            recent.Record(failed: false);
        }

        recent.FailuresAreAMinority.Should().BeFalse("half of the last 32 still failed");
        recent.Record(failed: false);
        recent.FailuresAreAMinority.Should().BeTrue("17 of the last 32 succeeded");
    }

    [Fact]
    public async Task Record_FromManyThreads_KeepsTheCountsConsistent()
    {
        var recent = new RecentFailures();
        await Task.WhenAll(Enumerable.Range(0, 8).Select(t => Task.Run(() =>
        {
            for (var i = 0; i < 20_000; i++)
            {
                recent.Record(failed: (i + t) % 3 != 0);
            }
        })));

        // Every remembered outcome is replaced in a known order: a count that drifted under the races shows at the edge.
        for (var i = 0; i < RecentFailures.Window; i++)
        {
            recent.Record(failed: i < RecentFailures.Window / 2);
        }

        recent.FailuresAreAMinority.Should().BeFalse("exactly half of the last 32 failed");
        recent.Record(failed: false);
        recent.FailuresAreAMinority.Should().BeTrue("the oldest failure made way for a success: 15 of 32");
    }
}
