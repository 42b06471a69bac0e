using GrowlyticsSdk.Tests.TestSupport;

namespace GrowlyticsSdk.Tests.Sessions;

/// <summary>
/// After the client has shut down, a call that would change the session (a login, a logout) changes nothing, as while
/// opted out, and is counted as dropped (<see cref="DropReason.Shutdown"/>): the session the app reads stays the one
/// that was saved.
/// </summary>
public sealed class AfterShutdownSessionTests
{
    [Theory]
    [InlineData(GrowlyticsProtocol.Batch)]
    [InlineData(GrowlyticsProtocol.Rest)]
    public async Task IdentifyAndLogout_AfterShutdown_LeaveTheSessionAsItWasAndAreCountedDropped(GrowlyticsProtocol protocol)
    {
        await using var h = new DeliveryHarness(o => o.Protocol = protocol);
        var user = h.Client.User;
        user.Identify("user-1");
        await h.RunAsync(h.Client.ShutdownAsync());
        var anonymousId = user.AnonymousId;
        var before = h.Client.Statistics;

        user.Identify("user-2");
        user.Logout();

        (user.UserId, user.AnonymousId).Should().Be(("user-1", anonymousId));
        var after = h.AssertBalanced();
        (after.DroppedByReason[DropReason.Shutdown] - before.DroppedByReason[DropReason.Shutdown]).Should().Be(2);
        (after.Enqueued - before.Enqueued).Should().Be(2);
    }
}
