using System.Net.Http.Headers;
using CsCheck;
using GrowlyticsSdk.Delivery;

namespace GrowlyticsSdk.Tests.Delivery;

public sealed class RetryDelaysTests
{
    private static readonly DateTimeOffset Now = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Backoff_AnyAttemptAndRandom_StaysWithinOneMillisecondAndTheCappedExponentialCeiling()
    {
        Gen.Select(Gen.Int[0, 64], Gen.Int[1, 5_000], Gen.Int[1, 60_000], Gen.Double[0, 1]).Sample((attempt, baseMs, capMs, random) =>
        {
            var delay = RetryDelays.Backoff(attempt, TimeSpan.FromMilliseconds(baseMs), TimeSpan.FromMilliseconds(capMs), random);

            var ceiling = Math.Min(capMs, baseMs * Math.Pow(2, attempt));
            delay.TotalMilliseconds.Should().BeGreaterThanOrEqualTo(1, "a retry never goes at once");
            delay.TotalMilliseconds.Should().BeLessThanOrEqualTo(ceiling + 0.001);
        });
    }

    [Theory]
    [InlineData(0, 0.0, 1)]
    [InlineData(0, 0.001, 1)]
    [InlineData(0, 0.02, 2)]
    [InlineData(0, 1.0, 100)]
    [InlineData(2, 0.5, 200)]
    [InlineData(3, 1.0, 800)]
    [InlineData(10, 1.0, 1_000)]
    [InlineData(1_000, 0.25, 250)]
    public void Backoff_KnownInputs_ScalesTheCeilingByTheRandomFractionWithAOneMillisecondFloor(int attempt, double random, double expectedMs)
    {
        var delay = RetryDelays.Backoff(attempt, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(1), random);

        delay.TotalMilliseconds.Should().BeApproximately(expectedMs, 0.001);
    }

    [Fact]
    public void Backoff_ManyDraws_SpreadsOverTheWholeRange()
    {
        var random = new Random(42);
        var delays = Enumerable.Range(0, 1_000).Select(_ => RetryDelays.Backoff(3, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(30), random.NextDouble()).TotalMilliseconds).ToList();

        delays.Min().Should().BeLessThan(80, "full jitter reaches down to zero");
        delays.Max().Should().BeGreaterThan(720, "full jitter reaches up to the ceiling of 800 ms");
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(1, 0)]
    [InlineData(6, 0)]
    public void Doublings_IsolatedFailure_NeverDouble(int attempt, int expected)
    {
        RetryDelays.Doublings(attempt, isolated: true).Should().Be(expected);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(6)]
    public void Doublings_NotIsolated_GrowWithEveryAttempt(int attempt)
    {
        RetryDelays.Doublings(attempt, isolated: false).Should().Be(attempt);
    }

    [Fact]
    public void FromRetryAfter_DeltaSeconds_ReturnsThem()
    {
        RetryDelays.FromRetryAfter(new RetryConditionHeaderValue(TimeSpan.FromSeconds(7)), Now, TimeSpan.FromSeconds(30)).Should().Be(TimeSpan.FromSeconds(7));
    }

    [Fact]
    public void FromRetryAfter_HttpDate_ReturnsTheTimeUntilThen()
    {
        RetryDelays.FromRetryAfter(new RetryConditionHeaderValue(Now.AddSeconds(12)), Now, TimeSpan.FromSeconds(30)).Should().Be(TimeSpan.FromSeconds(12));
    }

    [Fact]
    public void FromRetryAfter_DateNotInTheFuture_ReturnsNull_AsAnUnreadableOne()
    {
        // Read against a device clock set ahead of the service's, a date in the past says nothing about when to come back.
        RetryDelays.FromRetryAfter(new RetryConditionHeaderValue(Now.AddSeconds(-5)), Now, TimeSpan.FromSeconds(30)).Should().BeNull();
        RetryDelays.FromRetryAfter(new RetryConditionHeaderValue(Now), Now, TimeSpan.FromSeconds(30)).Should().BeNull();
    }

    [Theory]
    [InlineData(3_600)]
    [InlineData(31)]
    public void FromRetryAfter_BeyondTheCap_ReturnsTheCap(int seconds)
    {
        RetryDelays.FromRetryAfter(new RetryConditionHeaderValue(TimeSpan.FromSeconds(seconds)), Now, TimeSpan.FromSeconds(30)).Should().Be(TimeSpan.FromSeconds(30));
        RetryDelays.FromRetryAfter(new RetryConditionHeaderValue(Now.AddSeconds(seconds)), Now, TimeSpan.FromSeconds(30)).Should().Be(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public void FromRetryAfter_NoHeader_ReturnsNull()
    {
        RetryDelays.FromRetryAfter(null, Now, TimeSpan.FromSeconds(30)).Should().BeNull();
    }
}
