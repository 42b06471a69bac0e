using GrowlyticsSdk.Tests.TestSupport.Caller;
using static GrowlyticsSdk.Tests.TestSupport.Caller.CallerValidation;

namespace GrowlyticsSdk.Tests.Sessions;

/// <summary>
/// REST, a server after a burst of visitors: once their held attributes and remembered logins have expired, or been
/// deleted at the user's request, the store's indexes let go of the room the burst made them take (a dictionary never
/// shrinks by itself: the peak's arrays, about 28 bytes a slot, stayed for the life of the process while the store held
/// nothing and counted nothing toward MaxQueueBytes), as the partitions' lists and the spare envelopes are let go.
/// </summary>
public sealed class HeldStoreAfterABurstTests
{
    private const int Visitors = 40_000;
    private static readonly TimeSpan Retention = TimeSpan.FromMinutes(30);

    [Fact]
    public void Sweep_AfterABurstOfVisitorsAndLoginsExpired_LetsGoOfTheIndexesRoom()
    {
        using var harness = NewHarness();
        var store = harness.Client.HeldStore!;
        Burst(harness);
        store.Count.Should().Be(Visitors);
        store.RememberedLogins.Should().Be(Visitors);
        store.IndexSlots.Should().BeGreaterThanOrEqualTo(2 * Visitors);

        // The traffic stops: the window and an eighth of it pass, minute by minute.
        for (var minute = 0; minute < 36; minute++)
        {
            harness.Time.Advance(TimeSpan.FromMinutes(1));
        }

        store.Count.Should().Be(0);
        store.RememberedLogins.Should().Be(0);
        store.EstimatedBytes.Should().Be(0);
        store.IndexSlots.Should().BeLessThan(1_000, "the indexes do not keep the burst's room once it has gone");
    }

    [Fact]
    public async Task DeleteLocalData_AfterABurst_LetsGoOfTheIndexesRoom()
    {
        using var harness = NewHarness();
        var store = harness.Client.HeldStore!;
        Burst(harness);

        await harness.Client.DeleteLocalDataAsync();

        store.Count.Should().Be(0);
        store.RememberedLogins.Should().Be(0);
        store.IndexSlots.Should().BeLessThan(1_000, "what was deleted leaves no room behind in the indexes");
    }

    private static void Burst(CallerHarness harness)
    {
        for (var i = 0; i < Visitors; i++)
        {
            // A visitor who pushes and never logs in, and one who logs in with nothing held.
            using (harness.Client.BeginScope($"v-{i:D7}"))
            {
                harness.Client.User.Push(One("plan", "free"));
            }

            using (harness.Client.BeginScope($"l-{i:D7}", $"user-{i:D7}"))
            {
            }
        }
    }

    private static CallerHarness NewHarness() => new(o =>
    {
        o.Protocol = GrowlyticsProtocol.Rest;
        o.AnonymousAttributeRetention = Retention;
        o.MaxHeldAnonymousSessions = 1_000_000;
        o.MaxQueueBytes = 1024L * 1024 * 1024;
    });
}
