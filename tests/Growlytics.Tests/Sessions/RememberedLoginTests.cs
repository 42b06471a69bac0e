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
/// signed in without one (the id the middleware then writes to the cookie).
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
