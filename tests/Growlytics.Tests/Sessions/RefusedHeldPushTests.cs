using GrowlyticsSdk.Tests.TestSupport.Caller;
using static GrowlyticsSdk.Tests.Sessions.RestSessionTests;
using static GrowlyticsSdk.Tests.TestSupport.Caller.CallerValidation;

namespace GrowlyticsSdk.Tests.Sessions;

/// <summary>
/// REST, scoped sessions: a visitor holds up to 100 attributes, its pushes merged by name; a push refused because the
/// visitor would hold more changes nothing, also not the activity time of the login its anonymous id made (which would
/// keep that login remembered, and so keep a later user's login with that id from receiving what the visitor pushed after
/// the window).
/// </summary>
public sealed class RefusedHeldPushTests
{
    private const string Visitor = "visitor-1";

    [Fact]
    public void ScopedPush_BringingTheVisitorToExactly100HeldAttributes_IsHeld_OneMoreIsRefused()
    {
        using var harness = new CallerHarness(o => o.Protocol = GrowlyticsProtocol.Rest);
        using (harness.Client.BeginScope(Visitor))
        {
            harness.Client.User.Push(Many("a", 60));

            harness.Client.User.Push(Many("b", 40));
            var refused = () => harness.Client.User.Push(One("one-too-many", 1));

            refused.Should().Throw<GrowlyticsValidationException>().Which.Message.Should().Contain("101");
        }

        using (harness.Client.BeginScope(Visitor, "u-1"))
        {
        }

        var message = harness.Drain().Should().ContainSingle().Subject;
        (message.UserId, message.Calls, message.Attributes.Length).Should().Be(("u-1", 2, 100), "the visitor's two pushes, 100 attributes, were held");
    }

    [Theory]
    [InlineData(InvalidInputHandling.Throw)]
    [InlineData(InvalidInputHandling.Drop)]
    public void ScopedPush_RefusedForTooManyHeldAttributes_DoesNotRefreshTheRememberedLogin(InvalidInputHandling handling)
    {
        using var harness = new CallerHarness(o =>
        {
            o.Protocol = GrowlyticsProtocol.Rest;
            o.InvalidInputHandling = handling;
        });

        // The visitor's id logged in as alice (an authenticated request), at the start of the window.
        using (harness.Client.BeginScope(Visitor, "alice"))
        {
        }

        using (harness.Client.BeginScope(Visitor))
        {
            // A long-running flow of that visitor: 100 attributes held, then one more refused 20 minutes later.
            harness.Client.User.Push(Enumerable.Range(0, 100).ToDictionary(i => "a" + i, i => (object?)i));
            harness.Time.Advance(TimeSpan.FromMinutes(20));
            var refused = () => harness.Client.User.Push(One("one-too-many", 1));
            if (handling == InvalidInputHandling.Throw)
            {
                refused.Should().Throw<GrowlyticsValidationException>();
            }
            else
            {
                refused();
                harness.Client.Statistics.InvalidInputs.Should().Be(1);
            }
        }

        // 35 minutes after the visitor's last accepted activity: alice's login is past its window (30 minutes).
        harness.Time.Advance(TimeSpan.FromMinutes(15));
        using (harness.Client.BeginScope(Visitor))
        {
            harness.Client.User.Push(One("city", "Pune"));
            harness.Client.User.Identify("bob");
        }

        var toBob = harness.Drain().Where(m => m.UserId == "bob").SelectMany(Names).ToList();
        toBob.Should().Equal(["city"], "the refused push was no activity: alice's login expired 30 minutes after the last one");
        harness.Client.Statistics.DroppedByReason[DropReason.AnonymousExpired].Should().Be(1, "only the push of 100 expired");
    }
}
