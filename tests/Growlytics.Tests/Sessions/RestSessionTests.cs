using GrowlyticsSdk.Messages;
using GrowlyticsSdk.Tests.TestSupport.Caller;
using static GrowlyticsSdk.Tests.TestSupport.Caller.CallerValidation;

namespace GrowlyticsSdk.Tests.Sessions;

/// <summary>REST session semantics: what each call queues, what is held for the login, and how held pushes are counted.</summary>
public sealed class RestSessionTests : IDisposable
{
    private readonly CallerHarness _harness = new(o => o.Protocol = GrowlyticsProtocol.Rest);

    public void Dispose() => _harness.Dispose();

    [Fact]
    public void Push_Identified_QueuesOneUpdateForThatUser()
    {
        _harness.User.Identify("u-1");

        _harness.User.Push(One("plan", "pro"));

        var message = _harness.Drain().Should().ContainSingle().Subject;
        (message.Type, message.UserId, message.Calls).Should().Be((MessageType.Update, "u-1", 1));
        Names(message).Should().Equal("plan");
    }

    [Fact]
    public void Push_Anonymous_QueuesNothingButCountsTheCallAsEnqueuedAndPending()
    {
        _harness.User.Push(One("city", "Pune"));

        _harness.Drain().Should().BeEmpty("the REST API has no anonymous profile to send it to");
        var statistics = _harness.Client.Statistics;
        statistics.Enqueued.Should().Be(1);
        statistics.Pending.Should().Be(1);
        statistics.Dropped.Should().Be(0);
    }

    [Fact]
    public void Identify_AfterAnonymousPushes_SendsOneUpsertWithHeldAndOwnAttributesTheLaterWinning()
    {
        var anonymousId = _harness.User.AnonymousId;
        _harness.User.Push(new Dictionary<string, object?> { ["city"] = "Pune", ["plan"] = "free" });
        _harness.User.Push(One("city", "Mumbai"));

        _harness.User.Identify("u-1", new Dictionary<string, object?> { ["plan"] = "pro", ["name"] = "John Wick" });

        var message = _harness.Drain().Should().ContainSingle().Subject;
        (message.Type, message.UserId, message.AnonymousId, message.Calls).Should().Be((MessageType.Update, "u-1", anonymousId, 3));
        message.Attributes.Select(a => (a.Name, a.Value)).Should().Equal(("city", "Mumbai"), ("plan", "pro"), ("name", "John Wick"));
        _harness.Client.Counters.Held.Should().Be(0);
        _harness.User.UserId.Should().Be("u-1");
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(50, 2)]
    public void Identify_CarryingHeldPushes_EnqueuedNeverGoesBackWhileTheyMoveToTheQueue(int heldAttributes, int parts)
    {
        // Read at each part's queueing (where a thread preempted between counting and queueing would be seen): the pushes
        // were counted accepted when held, and the login's upserts must not count them a second time meanwhile.
        var seen = new List<long>();
        GrowlyticsClient? client = null;
        using var harness = new CallerHarness(o =>
        {
            o.Protocol = GrowlyticsProtocol.Rest;
            o.BeforeQueueAdd = () => seen.Add(client!.Counters.Enqueued);
        });
        client = harness.Client;
        harness.User.Push(Many("a", heldAttributes));
        harness.User.Push(Many("b", heldAttributes));
        var before = client.Statistics.Enqueued;

        harness.User.Identify("u-1", Many("c", 60));

        harness.Drain().Should().HaveCount(parts);
        var after = client.Statistics;
        (before, after.Enqueued, after.Pending).Should().Be((2, 3, 3));
        seen.Should().HaveCount(parts).And.OnlyContain(e => e >= before && e <= after.Enqueued, "Enqueued is a running total: it never goes back");
    }

    [Fact]
    public void Identify_MergedAttributesOverTheRequestLimit_SendsSeveralUpsertsInOrderWithCallsAddingUp()
    {
        _harness.User.Push(Many("a", 60));
        _harness.User.Push(Many("b", 40));

        _harness.User.Identify("u-1", Many("c", 100));

        var messages = _harness.Drain();
        messages.Should().HaveCount(2);
        messages.Should().OnlyContain(m => m.UserId == "u-1" && m.Type == MessageType.Update && m.Attributes.Length == 100);
        messages.SelectMany(Names).Should().Equal(Names(Many("a", 60)).Concat(Names(Many("b", 40))).Concat(Names(Many("c", 100))), "never truncated, in order");
        messages.Select(m => m.Calls).Should().Equal([2, 1], "the first upsert settles the calls the others do not (the login and the held pushes but one)");
    }

    [Fact]
    public void Push_AnonymousBeyond100HeldAttributes_IsRejectedAtTheCallAndHoldsNothingMore()
    {
        _harness.User.Push(Many("a", 60));

        var error = _harness.ShouldReject(() => _harness.User.Push(Many("b", 41)), null, "holds at most 100");

        error.Message.Should().Contain("Rest protocol").And.Contain("101");
        _harness.User.Push(Many("a", 60));
        _harness.User.Identify("u-1");
        var message = _harness.Drain().Should().ContainSingle().Subject;
        message.Attributes.Should().HaveCount(60);
        message.Calls.Should().Be(3);
    }

    [Fact]
    public void Push_AnonymousBeyond100HeldAttributesWithDropHandling_IsCountedAsInvalid()
    {
        using var harness = new CallerHarness(o =>
        {
            o.Protocol = GrowlyticsProtocol.Rest;
            o.InvalidInputHandling = InvalidInputHandling.Drop;
        });
        harness.User.Push(Many("a", 100));

        harness.User.Push(One("extra", 1));

        harness.Client.Statistics.InvalidInputs.Should().Be(1);
        harness.Client.Statistics.Enqueued.Should().Be(1);
    }

    [Fact]
    public void Logout_Identified_QueuesNothingAndTheNewAnonymousSessionStartsEmpty()
    {
        _harness.User.Push(One("old", 1));
        _harness.User.Identify("u-1");
        var before = _harness.User.AnonymousId;
        _harness.Drain();

        _harness.User.Logout();

        _harness.Drain().Should().BeEmpty("the REST API has no logout");
        _harness.User.AnonymousId.Should().NotBe(before);
        _harness.User.Push(One("new", 2));
        _harness.User.Identify("u-2");
        var message = _harness.Drain().Should().ContainSingle().Subject;
        (message.UserId, message.Calls).Should().Be(("u-2", 2));
        Names(message).Should().Equal("new");
    }

    [Fact]
    public void Identify_AnotherUserWhileIdentified_SendsNoLogoutAndWarns()
    {
        _harness.User.Identify("user-a", One("plan", "free"));
        var a1 = _harness.User.AnonymousId;

        _harness.User.Identify("user-b", One("plan", "pro"));

        _harness.Drain().Select(m => (m.Type, m.UserId, (string)m.Attributes.Single().Value)).Should().Equal(
            (MessageType.Update, "user-a", "free"), (MessageType.Update, "user-b", "pro"));
        _harness.User.AnonymousId.Should().NotBe(a1);
        _harness.Logs.Warnings.Should().ContainSingle().Which.EventId.Id.Should().Be(1002);
    }

    [Fact]
    public void Identify_SameUserAgain_IsAnAttributeUpdate()
    {
        _harness.User.Identify("u-1", One("plan", "free"));

        _harness.User.Identify("u-1", One("plan", "pro"));

        _harness.Drain().Select(m => (m.UserId, (string)m.Attributes.Single().Value, m.Calls)).Should().Equal(("u-1", "free", 1), ("u-1", "pro", 1));
    }

    [Fact]
    public void Identify_NoAttributesAndNothingHeld_QueuesNothingButLogsIn()
    {
        _harness.User.Identify("u-1");

        _harness.Drain().Should().BeEmpty();
        _harness.User.UserId.Should().Be("u-1");
        _harness.Client.Statistics.Enqueued.Should().Be(0);
    }

    [Fact]
    public void Identify_NoAttributesAfterAnAnonymousPush_SendsTheHeldAttributes()
    {
        _harness.User.Push(One("city", "Pune"));

        _harness.User.Identify("u-1");

        var message = _harness.Drain().Should().ContainSingle().Subject;
        (message.UserId, message.Calls).Should().Be(("u-1", 2));
        Names(message).Should().Equal("city");
    }

    [Fact]
    public void BatchProtocol_AnonymousPushAndLogout_AreQueuedAsToday()
    {
        using var batch = new CallerHarness(o => o.Protocol = GrowlyticsProtocol.Batch);
        batch.User.Push(One("city", "Pune"));
        batch.User.Identify("u-1");
        batch.User.Logout();

        batch.Drain().Select(m => (m.Type, m.UserId)).Should().Equal(
            (MessageType.Update, null), (MessageType.Login, "u-1"), (MessageType.Logout, "u-1"));
        batch.Client.HeldStore.Should().BeNull();
    }

    [Fact]
    public void Logout_WhileOptedOut_EndsTheSessionAndIsNotCounted()
    {
        _harness.Client.User.Identify("u-a");
        _harness.Drain();
        var enqueued = _harness.Client.Statistics.Enqueued;
        _harness.Client.OptOut();

        _harness.Client.User.Logout();

        _harness.Client.User.UserId.Should().BeNull();
        _harness.Client.Statistics.Enqueued.Should().Be(enqueued, "a REST logout sends nothing, opted in or not");
        _harness.Client.Statistics.DroppedByReason[DropReason.OptedOut].Should().Be(0);
    }

    internal static IEnumerable<string> Names(UserMessage message) => message.Attributes.Select(a => a.Name);

    internal static IEnumerable<string> Names(Dictionary<string, object?> attributes) => attributes.Keys;

    internal static Dictionary<string, object?> Many(string prefix, int count) =>
        Enumerable.Range(0, count).ToDictionary(i => prefix + i, i => (object?)i);
}
