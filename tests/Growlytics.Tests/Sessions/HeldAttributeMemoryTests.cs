using GrowlyticsSdk.Tests.TestSupport;
using GrowlyticsSdk.Tests.TestSupport.Caller;

namespace GrowlyticsSdk.Tests.Sessions;

/// <summary>
/// What scoped visitors' held anonymous attributes (REST) take, measured as retained managed memory against the bound they
/// are documented to keep: alone in its collection, so no other test allocates meanwhile.
/// </summary>
[Collection(ProcessStateCollection.Name)]
public sealed class HeldAttributeMemoryTests
{
    private const long MaxQueueBytes = 1024 * 1024;

    [Fact]
    public void HeldPush_ManyVisitorsWithTwoSmallAttributesEach_TakeAtMostMaxQueueBytes()
    {
        using var harness = new CallerHarness(o =>
        {
            o.Protocol = GrowlyticsProtocol.Rest;
            o.MaxQueueBytes = MaxQueueBytes;
            o.MaxHeldAnonymousSessions = 1_000_000;
        });
        PushAsNewVisitor(harness, -1);
        var before = GC.GetTotalMemory(forceFullCollection: true);

        // Web traffic: each request without the cookie is a new visitor (a fresh anonymous id) that pushes a little and
        // never logs in. What a visitor takes is mostly its bookkeeping (its id, its entry, its set), not its two values.
        for (var i = 0; i < 20_000; i++)
        {
            PushAsNewVisitor(harness, i);
        }

        var held = GC.GetTotalMemory(forceFullCollection: true) - before;

        harness.Client.Statistics.DroppedByReason[DropReason.AnonymousExpired].Should().BePositive("the visitors did not all fit in the bound");
        harness.Client.HeldStore!.Count.Should().BePositive();
        held.Should().BeLessThanOrEqualTo(MaxQueueBytes + (MaxQueueBytes / 4), "the held attributes take at most MaxQueueBytes together, their visitors' bookkeeping included");
        GC.KeepAlive(harness);
    }

    private static void PushAsNewVisitor(CallerHarness harness, int visits)
    {
        using (harness.Client.BeginScope(null))
        {
            harness.Client.User.Push(new Dictionary<string, object?> { ["plan"] = "free", ["visits"] = visits });
        }
    }
}
