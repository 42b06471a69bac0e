using System.Collections.Concurrent;
using GrowlyticsSdk.Messages;
using GrowlyticsSdk.Tests.TestSupport.Caller;
using static GrowlyticsSdk.Tests.Sessions.RestSessionTests;
using static GrowlyticsSdk.Tests.TestSupport.Caller.CallerValidation;

namespace GrowlyticsSdk.Tests.Sessions;

/// <summary>
/// REST: the login an anonymous id made is remembered for the retention window, so pushes made under that id afterwards
/// (the logged-in user's) never reach another user's login with it: not when the count bound forgets the login (what is
/// held for that id goes with it), not after an opt-out and opt-in, and also for the fresh id of a request that starts
/// signed in without one (the id the middleware then writes to the cookie). The window slides with the id's activity, also
/// late in a long-lived scope, and ends exactly at its length: from then on the id is a new visitor's, also when the end
/// falls between two of the store's sweeps.
/// </summary>
public sealed class RememberedLoginTests
{
    private const string Visitor = "visitor-1";

    [Fact]
    public void RememberedLogin_ForgottenByTheLoginCountBound_WhileItsPostLoginPushesStayHeld_DoesNotLeakToAnotherUser()
    {
        using var harness = NewHarness(o => o.MaxHeldAnonymousSessions = 2);
        using (harness.Client.BeginScope(Visitor, "alice"))
        {
        }

        // alice's browser (not authenticated in this request) pushes under the same id: held, alice's data.
        PushInScope(harness, Visitor, One("secret", "alice-private"));

        // Two other visitors log in: with MaxHeldAnonymousSessions = 2, the remembered login of Visitor is forgotten.
        using (harness.Client.BeginScope("visitor-2", "u-2"))
        {
        }

        using (harness.Client.BeginScope("visitor-3", "u-3"))
        {
        }

        using (harness.Client.BeginScope(Visitor))
        {
            harness.Client.User.Identify("bob");
        }

        var toBob = harness.Drain().Where(m => m.UserId == "bob").SelectMany(Names).ToList();
        toBob.Should().NotContain("secret", "what alice pushed after her login must not reach bob's profile");
    }

    [Fact]
    public void RememberedLogin_AfterOptOutAndOptIn_StillKeepsPostLoginPushesFromAnotherUser()
    {
        using var harness = NewHarness();
        using (harness.Client.BeginScope(Visitor, "alice"))
        {
        }

        harness.Client.OptOut();
        harness.Client.OptIn();
        PushInScope(harness, Visitor, One("secret", "alice-private"));
        using (harness.Client.BeginScope(Visitor))
        {
            harness.Client.User.Identify("bob");
        }

        var toBob = harness.Drain().Where(m => m.UserId == "bob").SelectMany(Names).ToList();
        toBob.Should().NotContain("secret", "the id logged in as alice within the window");
    }

    [Fact]
    public void BeginScope_SignedInWithoutAnAnonymousId_RemembersTheLoginOfTheIdItStarts()
    {
        // An authenticated request without the cookie: the fresh id it gets is written back and kept by the browser.
        using var harness = NewHarness();
        string kept;
        using (harness.Client.BeginScope(null, "alice"))
        {
            kept = harness.Client.User.AnonymousId;
        }

        PushInScope(harness, kept, One("secret", "alice-private"));
        using (harness.Client.BeginScope(kept))
        {
            harness.Client.User.Identify("bob");
        }

        var toBob = harness.Drain().Where(m => m.UserId == "bob").SelectMany(Names).ToList();
        toBob.Should().NotContain("secret", "the id the browser keeps was alice's session");
    }

    [Theory]
    [InlineData(1, false)]
    [InlineData(0, true)]
    public void Identify_AnotherUserAsTheEarlierLoginsWindowEnds_ReceivesWhatTheIdPushedOnlyOnceTheWindowHasEnded(long ticksBeforeTheEnd, bool received)
    {
        using var harness = NewHarness();
        using (harness.Client.BeginScope(Visitor, "alice"))
        {
        }

        // No activity of that id for the window (30 minutes), or for the window but one tick; then it pushes and bob logs in.
        harness.Time.Advance(TimeSpan.FromMinutes(30) - TimeSpan.FromTicks(ticksBeforeTheEnd));
        PushInScope(harness, Visitor, One("city", "Pune"));
        using (harness.Client.BeginScope(Visitor))
        {
            harness.Client.User.Identify("bob", One("name", "Bob"));
        }

        var toBob = harness.Drain().Should().ContainSingle().Subject;
        toBob.UserId.Should().Be("bob");
        string[] expected = received ? ["city", "name"] : ["name"];
        Names(toBob).Should().Equal(expected, "alice's login is remembered for the window after it, as held pushes are, and no longer at its end");
    }

    [Fact]
    public void Push_AfterTheEarlierLoginsWindowEndedBetweenTwoSweeps_IsTheNextLoginsToReceive()
    {
        using var harness = NewHarness();

        // Another visitor starts the store's sweep (every eighth of the window: 3 min 45 s) a minute before alice's login,
        // so her login's window ends at 31 minutes: after the sweep at 30, before the one at 33:45.
        PushInScope(harness, "visitor-0", One("plan", "free"));
        harness.Time.Advance(TimeSpan.FromMinutes(1));
        using (harness.Client.BeginScope(Visitor, "alice"))
        {
        }

        harness.Time.Advance(TimeSpan.FromMinutes(30) - TimeSpan.FromSeconds(1));
        harness.Time.Advance(TimeSpan.FromSeconds(1));
        harness.Client.HeldStore!.RememberedLogins.Should().Be(1, "no sweep has run since the window ended");

        // The id's first activity since: a new visitor's push, not one that makes alice's login recent again.
        PushInScope(harness, Visitor, One("city", "Pune"));
        using (harness.Client.BeginScope(Visitor))
        {
            harness.Client.User.Identify("bob", One("name", "Bob"));
        }

        var toBob = harness.Drain().Should().ContainSingle().Subject;
        toBob.UserId.Should().Be("bob");
        Names(toBob).Should().Equal(["city", "name"], "alice's login was past its window when the id pushed again");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void LongScope_PushOrLogoutLateInIt_KeepsTheLoginRememberedFromThen(bool logsOut)
    {
        using var harness = NewHarness();
        using (harness.Client.BeginScope(Visitor, "alice"))
        {
        }

        // A long-lived scope that continues alice's browser, not signed in (a circuit, a stream): 25 minutes after it began,
        // it pushes (held: alice's data) or logs out (a tab that did not see the new id keeps sending the old one).
        using (harness.Client.BeginScope(Visitor))
        {
            harness.Time.Advance(TimeSpan.FromMinutes(25));
            if (logsOut)
            {
                harness.Client.User.Logout();
            }
            else
            {
                harness.Client.User.Push(One("secret", "alice-private"));
            }
        }

        // 20 minutes on: within the window from that call, past the one from the scope's start.
        harness.Time.Advance(TimeSpan.FromMinutes(20));
        if (logsOut)
        {
            PushInScope(harness, Visitor, One("secret", "alice-private"));
        }

        using (harness.Client.BeginScope(Visitor))
        {
            harness.Client.User.Identify("bob");
        }

        harness.Drain().Where(m => m.UserId == "bob").SelectMany(Names).Should().NotContain("secret", "the id's last activity as alice's was the call late in the scope");
        harness.Client.Statistics.DroppedByReason[DropReason.AnonymousExpired].Should().Be(1, "bob's login drops what alice's browser pushed");
    }

    private static CallerHarness NewHarness(Action<GrowlyticsOptions>? configure = null) => new(o =>
    {
        o.Protocol = GrowlyticsProtocol.Rest;
        configure?.Invoke(o);
    });

    private static void PushInScope(CallerHarness harness, string anonymousId, Dictionary<string, object?> attributes)
    {
        using (harness.Client.BeginScope(anonymousId))
        {
            harness.Client.User.Push(attributes);
        }
    }
}
