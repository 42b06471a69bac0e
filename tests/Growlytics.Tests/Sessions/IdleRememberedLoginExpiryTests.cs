using GrowlyticsSdk.Tests.TestSupport.Caller;
using static GrowlyticsSdk.Tests.TestSupport.Caller.CallerValidation;

namespace GrowlyticsSdk.Tests.Sessions;

/// <summary>
/// REST, a server that goes quiet: the logins remembered for anonymous ids (which user each id logged in as: user ids,
/// personal data) are kept for <see cref="GrowlyticsOptions.AnonymousAttributeRetention"/>, like the held attributes, and
/// forgotten by the store's sweep when no call comes, as the held attributes are (at most an eighth of the window late).
/// </summary>
public sealed class IdleRememberedLoginExpiryTests
{
    private static readonly TimeSpan Retention = TimeSpan.FromMinutes(30);

    [Fact]
    public void RememberedLogins_OfSignedInRequestsOnly_AreForgottenAfterTheWindowWithNoFurtherCalls()
    {
        using var harness = NewHarness();
        var store = harness.Client.HeldStore!;

        // An API whose every request is authenticated: each login is remembered, nothing is ever held.
        for (var i = 0; i < 500; i++)
        {
            using (harness.Client.BeginScope($"visitor-{i:D6}", $"user-{i:D6}"))
            {
            }
        }

        store.RememberedLogins.Should().Be(500);

        // Then the traffic stops: the window and an eighth of it pass, minute by minute.
        AdvanceInMinutes(harness, Retention + TimeSpan.FromTicks(Retention.Ticks / 8) + TimeSpan.FromMinutes(1));

        store.RememberedLogins.Should().Be(0, "a login is remembered for the window after its last activity, then forgotten even if no call comes");
        store.EstimatedBytes.Should().Be(0);
    }

    [Fact]
    public void RememberedLogins_AfterHeldPushesWereSent_AreForgottenByTheSweepWithNoFurtherCalls()
    {
        using var harness = NewHarness();
        var store = harness.Client.HeldStore!;

        // Visitors push while anonymous, then log in (their pushes sent): what stays is the login each id made.
        for (var i = 0; i < 200; i++)
        {
            using (harness.Client.BeginScope($"visitor-{i:D6}"))
            {
                harness.Client.User.Push(One("city", "Pune"));
            }

            using (harness.Client.BeginScope($"visitor-{i:D6}", $"user-{i:D6}"))
            {
            }
        }

        store.Count.Should().Be(0);
        store.RememberedLogins.Should().Be(200);

        AdvanceInMinutes(harness, Retention + TimeSpan.FromTicks(Retention.Ticks / 8) + TimeSpan.FromMinutes(1));

        store.RememberedLogins.Should().Be(0, "the sweep that drops expired held attributes forgets expired logins too");
        store.EstimatedBytes.Should().Be(0);
    }

    private static void AdvanceInMinutes(CallerHarness harness, TimeSpan total)
    {
        for (var passed = TimeSpan.Zero; passed < total; passed += TimeSpan.FromMinutes(1))
        {
            harness.Time.Advance(TimeSpan.FromMinutes(1));
        }
    }

    private static CallerHarness NewHarness() => new(o =>
    {
        o.Protocol = GrowlyticsProtocol.Rest;
        o.AnonymousAttributeRetention = Retention;
    });
}
