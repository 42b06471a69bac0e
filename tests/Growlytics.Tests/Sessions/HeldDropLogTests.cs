using GrowlyticsSdk.Tests.TestSupport;

namespace GrowlyticsSdk.Tests.Sessions;

/// <summary>
/// REST: the log lines of anonymous pushes held for a login and dropped by a visitor's call (another visitor's push
/// evicting them, event 6002; a logout in a scope that continues the visitor, or a login of another user with its
/// anonymous id) are written off the caller's thread, as every other warning a call triggers, and say why they were
/// dropped: a logout is not "inactive longer than AnonymousAttributeRetention".
/// </summary>
public sealed class HeldDropLogTests
{
    [ThreadStatic]
    private static bool t_inCall;

    private static readonly Dictionary<string, object?> City = new() { ["city"] = "Pune" };

    [Fact]
    public async Task Push_EvictingAnotherVisitor_WritesItsLineOffTheCallersThread()
    {
        await using var h = new DeliveryHarness(o =>
        {
            o.Protocol = GrowlyticsProtocol.Rest;
            o.MaxHeldAnonymousSessions = 1;
        });
        var onTheCallersThread = 0;
        h.Log.BeforeLog = id =>
        {
            if (t_inCall)
            {
                Interlocked.Increment(ref onTheCallersThread);
            }
        };
        Push(h, "visitor-a");

        Calling(() => Push(h, "visitor-b"));

        await DeliveryHarness.WaitUntilAsync(() => h.Log.WithId(6002).Any());
        h.Client.Statistics.DroppedByReason[DropReason.AnonymousExpired].Should().Be(1);
        Volatile.Read(ref onTheCallersThread).Should().Be(0, "a logging provider that writes to a slow sink must not hold the visitor's push");
    }

    [Fact]
    public async Task Logout_InAScopeThatContinuesTheVisitor_IsNotLoggedAsInactivity()
    {
        await using var h = new DeliveryHarness(o => o.Protocol = GrowlyticsProtocol.Rest);
        Push(h, "visitor-a");

        using (h.Client.BeginScope("visitor-a"))
        {
            h.Client.User.Logout();
        }

        h.Client.Statistics.DroppedByReason[DropReason.AnonymousExpired].Should().Be(1);
        await DeliveryHarness.WaitUntilAsync(() => h.Log.Entries.Any(e => e.EventId / 1000 == 6));
        h.Log.Entries.Where(e => e.EventId / 1000 == 6).Should().NotContain(
            e => e.Text.Contains("inactive", StringComparison.Ordinal),
            "the visitor logged out a moment after its push, well within AnonymousAttributeRetention");
    }

    [Fact]
    public async Task LoginOfAnotherUserWithTheId_IsNotLoggedAsInactivity()
    {
        await using var h = new DeliveryHarness(o => o.Protocol = GrowlyticsProtocol.Rest);
        using (h.Client.BeginScope("visitor-a", "carol"))
        {
        }

        Push(h, "visitor-a");
        using (h.Client.BeginScope("visitor-a", "dave"))
        {
        }

        h.Client.Statistics.DroppedByReason[DropReason.AnonymousExpired].Should().Be(1);
        await DeliveryHarness.WaitUntilAsync(() => h.Log.Entries.Any(e => e.EventId / 1000 == 6));
        h.Log.Entries.Where(e => e.EventId / 1000 == 6).Should().NotContain(
            e => e.Text.Contains("inactive", StringComparison.Ordinal),
            "what carol's id held was dropped because dave logged in with it, not for inactivity");
    }

    private static void Push(DeliveryHarness h, string anonymousId)
    {
        using (h.Client.BeginScope(anonymousId))
        {
            h.Client.User.Push(City);
        }
    }

    private static void Calling(Action call)
    {
        t_inCall = true;
        try
        {
            call();
        }
        finally
        {
            t_inCall = false;
        }
    }
}
