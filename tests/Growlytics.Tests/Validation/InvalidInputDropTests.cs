using GrowlyticsSdk.Tests.TestSupport;
using GrowlyticsSdk.Tests.TestSupport.Caller;
using Microsoft.Extensions.Logging;
using static GrowlyticsSdk.Tests.TestSupport.Caller.CallerValidation;

namespace GrowlyticsSdk.Tests.Validation;

/// <summary><see cref="InvalidInputHandling.Drop"/>: an invalid call returns quietly, queues nothing, is counted and logged without its value.</summary>
public sealed class InvalidInputDropTests : IDisposable
{
    private readonly CallerHarness _harness = new(o => o.InvalidInputHandling = InvalidInputHandling.Drop);

    public void Dispose() => _harness.Dispose();

    [Fact]
    public void Push_InvalidAttribute_QueuesNothingCountsAndWarnsWithoutTheValue()
    {
        const string Secret = "secret-value-that-is-far-too-long";

        _harness.User.Push(One("bio", Secret + new string('x', 500)));

        _harness.Drain().Should().BeEmpty();
        _harness.Client.Statistics.InvalidInputs.Should().Be(1);
        _harness.Client.Statistics.Enqueued.Should().Be(0);
        var warning = _harness.Logs.Warnings.Should().ContainSingle().Subject;
        warning.EventId.Id.Should().Be(1001);
        warning.Message.Should().Contain("'bio'").And.Contain("at most 512").And.NotContain(Secret);
    }

    [Fact]
    public void EveryOverload_WithInvalidInput_IsDroppedAndCountedOnce()
    {
        var user = _harness.User;
        var bad = One("email", "not-an-address");

        user.Push(new { email = "not-an-address" });
        user.Push(bad);
        user.Push(new UserAttributes { Email = "not-an-address" });
        user.Identify("u-1", new { email = "not-an-address" });
        user.Identify("u-1", bad);
        user.Identify("u-1", new UserAttributes { Email = "not-an-address" });
        user.Identify(new string('x', 41));
        user.Identify(" ", bad);

        _harness.Drain().Should().BeEmpty();
        _harness.Client.Statistics.InvalidInputs.Should().Be(8);
        user.IsIdentified.Should().BeFalse();
        _harness.Logs.Warnings.Should().ContainSingle("the warning is logged once per interval, not once per call")
            .Which.EventId.Id.Should().Be(1001);

        // The next interval's warning carries the calls the first one did not report, and the latest rule.
        _harness.Time.Advance(TimeSpan.FromSeconds(10));
        user.Push(new { email = "not-an-address" });
        _harness.Logs.Warnings.Should().HaveCount(2).And.OnlyContain(w => w.EventId.Id == 1001)
            .And.NotContain(w => w.Message.Contains("not-an-address", StringComparison.Ordinal));
        _harness.Logs.Warnings[1].Message.Should().StartWith("Dropped 8 invalid Growlytics call(s) since the last report")
            .And.Contain("'email'");
    }

    [Fact]
    public async Task ShutdownAsync_AfterABurstOfInvalidCalls_TotalsLineCountsThemAll()
    {
        await using var h = new DeliveryHarness(o => o.InvalidInputHandling = InvalidInputHandling.Drop);
        for (var i = 0; i < 1_004; i++)
        {
            h.Client.User.Push(new { email = "not-an-address" });
        }

        await h.RunAsync(h.Client.ShutdownAsync());

        h.Log.WithId(1001).Should().ContainSingle("the warning is logged once per interval").Which.Fields["Count"].Should().Be(1L);
        var totals = h.Log.WithId(2015).Should().ContainSingle().Subject;
        totals.Fields["InvalidInputs"].Should().Be(1_004L, "the totals carry what the interval-limited warning had not reported");
        totals.Text.Should().Contain("1004 invalid call(s) refused");
    }

    [Fact]
    public void Identify_InvalidAttributesWhileAnotherUserIsIdentified_ChangesNothing()
    {
        _harness.User.Identify("u-1");
        _harness.Drain();
        var anonymousId = _harness.User.AnonymousId;

        _harness.User.Identify("u-2", new { plan = double.NaN });

        _harness.Drain().Should().BeEmpty("no logout of u-1 and no login of u-2");
        _harness.User.UserId.Should().Be("u-1");
        _harness.User.AnonymousId.Should().Be(anonymousId);
        _harness.Logs.Entries.Should().NotContain(e => e.EventId.Id == 1002);
    }

    [Fact]
    public void Push_ValidAfterDroppedInvalid_IsQueued()
    {
        _harness.User.Push(One("score", double.PositiveInfinity));
        _harness.User.Push(One("score", 1.5));

        _harness.Drain().Should().ContainSingle().Which.Attributes.Single().Value.Should().Be(1.5);
        _harness.Client.Statistics.InvalidInputs.Should().Be(1);
    }

    [Fact]
    public void Push_NullArgument_StillThrowsBecauseItIsAProgrammingError()
    {
        _harness.User.Invoking(u => u.Push((IReadOnlyDictionary<string, object?>)null!)).Should().Throw<ArgumentNullException>();
        _harness.Client.Statistics.InvalidInputs.Should().Be(0);
    }

    [Fact]
    public void ThrowMode_InvalidInput_IsNotCountedOrLogged()
    {
        using var throwing = new CallerHarness();

        throwing.User.Invoking(u => u.Push(One("score", double.NaN))).Should().Throw<GrowlyticsValidationException>();

        throwing.Client.Statistics.InvalidInputs.Should().Be(0);
        throwing.Logs.Entries.Where(e => e.Level >= LogLevel.Warning).Should().BeEmpty();
    }
}
