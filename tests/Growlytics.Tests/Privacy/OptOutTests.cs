using System.Net;
using GrowlyticsSdk.Tests.TestSupport;

namespace GrowlyticsSdk.Tests.Privacy;

/// <summary>The runtime opt-out against a real client and a MockHttp collector (batch protocol), without storage.</summary>
public sealed class OptOutTests
{
    [Fact]
    public async Task OptOut_WithMessagesQueued_SendsNoneAfterAndCountsThemOptedOut()
    {
        await using var harness = new DeliveryHarness();
        harness.PushMany(5);

        harness.Client.OptOut();
        await harness.AdvanceUntilAsync(() => harness.Client.Statistics.DroppedByReason[DropReason.OptedOut] == 5);
        await harness.FlushAsync();
        harness.Time.Advance(TimeSpan.FromMinutes(5));
        await harness.FlushAsync();

        harness.Requests.Should().BeEmpty();
        var stats = harness.AssertBalanced();
        (stats.Enqueued, stats.Delivered, stats.Pending, stats.Dropped).Should().Be((5, 0, 0, 5));
        harness.Client.IsOptedOut.Should().BeTrue();
    }

    [Fact]
    public async Task OptOut_WhileARequestIsRetried_CancelsItsRetriesAndCountsItOptedOut()
    {
        await using var harness = new DeliveryHarness(o => o.MaxRetryAttempts = 5);
        harness.Responder = _ => Task.FromResult(new HttpResponseMessage(HttpStatusCode.ServiceUnavailable));
        harness.PushMany(3);
        var flush = harness.Client.FlushAsync();
        await harness.AdvanceUntilAsync(() => harness.Requests.Count >= 1, TimeSpan.FromMilliseconds(10));

        harness.Client.OptOut();
        await harness.RunAsync(flush);
        await harness.AdvanceUntilAsync(() => harness.Client.Statistics.Pending == 0);
        var sent = harness.Requests.Count;
        harness.Time.Advance(TimeSpan.FromHours(1));
        await Task.Delay(50);

        harness.Requests.Should().HaveCount(sent, "no retry is sent after the opt-out");
        var stats = harness.AssertBalanced();
        (stats.Delivered, stats.DroppedByReason[DropReason.OptedOut]).Should().Be((0, 3));
    }

    [Fact]
    public async Task Calls_WhileOptedOut_AreCountedAndChangeNothing()
    {
        await using var harness = new DeliveryHarness();
        var anonymousId = harness.Client.User.AnonymousId;
        harness.Client.OptOut();

        harness.PushMany(3);
        harness.Client.User.Identify("u-1", new Dictionary<string, object?> { ["plan"] = "pro" });
        harness.Client.User.Logout();
        harness.Client.Customers.Update("c-1", new Dictionary<string, object?> { ["plan"] = "pro" });
        await harness.Client.Customers.UpdateAsync("c-2", new Dictionary<string, object?> { ["plan"] = "pro" });
        await harness.FlushAsync();

        harness.Requests.Should().BeEmpty();
        (harness.Client.User.AnonymousId, harness.Client.User.UserId).Should().Be((anonymousId, (string?)null), "the session does not change while opted out");
        var stats = harness.AssertBalanced();
        (stats.Enqueued, stats.DroppedByReason[DropReason.OptedOut], stats.Pending).Should().Be((6, 6, 0));
        harness.Log.Entries.Should().NotContain(e => e.EventId == 2011, "an opted-out call is the user's choice, not a fault to warn about");
    }

    [Fact]
    public async Task Logout_WhileOptedOut_EndsTheSessionSoLaterCallsNeverReachThatUser()
    {
        await using var harness = new DeliveryHarness();
        harness.Client.User.Identify("u-a", new Dictionary<string, object?> { ["plan"] = "pro" });
        await harness.FlushAsync();
        var anonymousId = harness.Client.User.AnonymousId;
        harness.Client.OptOut();

        harness.Client.User.Logout();

        (harness.Client.User.UserId, harness.Client.User.IsIdentified).Should().Be(((string?)null, false));
        harness.Client.User.AnonymousId.Should().NotBe(anonymousId, "a logout starts a fresh anonymous profile, opted out or not");
        harness.Client.Statistics.DroppedByReason[DropReason.OptedOut].Should().Be(1, "the logout message was not sent");
        harness.Client.OptIn();
        harness.Push(1);
        await harness.FlushAsync();

        var last = harness.Requests[^1].Messages.Should().ContainSingle().Subject;
        last.GetProperty("userId").ValueKind.Should().Be(System.Text.Json.JsonValueKind.Null, "the push after OptIn is not u-a's");
        last.GetProperty("anonymousId").GetString().Should().Be(harness.Client.User.AnonymousId);
        harness.AssertBalanced();
    }

    [Fact]
    public async Task Identify_AnotherUserWhileOptedOut_EndsTheFirstUsersSessionAndKeepsNoneOfTheSecond()
    {
        await using var harness = new DeliveryHarness();
        harness.Client.User.Identify("u-a", new Dictionary<string, object?> { ["plan"] = "pro" });
        var anonymousId = harness.Client.User.AnonymousId;
        harness.Client.OptOut();

        harness.Client.User.Identify("u-b", new Dictionary<string, object?> { ["plan"] = "free" });

        harness.Client.User.UserId.Should().BeNull("u-a left, and nothing of u-b is kept while opted out");
        harness.Client.User.AnonymousId.Should().NotBe(anonymousId);
        harness.Client.OptIn();
        harness.Push(1);
        await harness.FlushAsync();

        harness.Requests.SelectMany(r => r.Messages).Should().NotContain(m => m.GetProperty("type").GetString() == "update" && m.GetProperty("userId").GetString() == "u-a");
        harness.AssertBalanced();
    }

    [Fact]
    public async Task LogoutAndIdentify_OptedOutAfterShutdown_ChangeNothing()
    {
        await using var harness = new DeliveryHarness();
        harness.Client.User.Identify("u-a");
        await harness.FlushAsync();
        harness.Client.OptOut();
        await harness.RunAsync(harness.Client.ShutdownAsync());
        var anonymousId = harness.Client.User.AnonymousId;

        harness.Client.User.Logout();
        harness.Client.User.Identify("u-b");

        (harness.Client.User.UserId, harness.Client.User.AnonymousId).Should().Be(("u-a", anonymousId), "after shutdown a call changes nothing");
    }

    [Fact]
    public async Task Identify_TheSameUserWhileOptedOut_KeepsTheSession()
    {
        await using var harness = new DeliveryHarness();
        harness.Client.User.Identify("u-a");
        await harness.FlushAsync();
        var anonymousId = harness.Client.User.AnonymousId;
        harness.Client.OptOut();

        harness.Client.User.Identify("u-a", new Dictionary<string, object?> { ["plan"] = "pro" });

        (harness.Client.User.UserId, harness.Client.User.AnonymousId).Should().Be(("u-a", anonymousId));
        harness.Client.Statistics.DroppedByReason[DropReason.OptedOut].Should().Be(1);
    }

    [Fact]
    public async Task Calls_WhileOptedOut_AreStillValidated()
    {
        await using var harness = new DeliveryHarness();
        harness.Client.OptOut();

        var act = () => harness.Client.User.Push(new Dictionary<string, object?> { ["bad"] = Guid.NewGuid() });

        act.Should().Throw<GrowlyticsValidationException>();
        harness.Client.Statistics.Enqueued.Should().Be(0);
    }

    [Fact]
    public async Task OptIn_AfterOptOut_DeliversLaterCallsOnly()
    {
        await using var harness = new DeliveryHarness();
        harness.Client.OptOut();
        harness.Push(1);

        harness.Client.OptIn();
        harness.Push(2);
        await harness.FlushAsync();

        harness.Client.IsOptedOut.Should().BeFalse();
        harness.Accepted.SelectMany(r => r.Messages).Select(DeliveryHarness.NumberOf).Should().Equal(2);
        var stats = harness.AssertBalanced();
        (stats.Delivered, stats.DroppedByReason[DropReason.OptedOut]).Should().Be((1, 1));
    }

    [Fact]
    public async Task OptOutThenOptIn_BeforeTheLoopRuns_DropsWhatWasHeldAndDeliversWhatCameAfter()
    {
        await using var harness = new DeliveryHarness(startDelivery: false);
        harness.Push(1);
        harness.Client.OptOut();
        harness.Push(2);
        harness.Client.OptIn();
        harness.Push(3);

        harness.Client.Dispatcher.Start();
        await harness.FlushAsync();

        harness.Accepted.SelectMany(r => r.Messages).Select(DeliveryHarness.NumberOf).Should().Equal(3);
        var stats = harness.AssertBalanced();
        (stats.Delivered, stats.DroppedByReason[DropReason.OptedOut]).Should().Be((1, 2));
    }

    [Fact]
    public async Task OptIn_WhileTheLoopSweepsForTheOptOut_TheCallAfterItIsDelivered()
    {
        DeliveryHarness? self = null;
        var sweeps = 0;
        var calledDuringSweep = 0;
        await using var harness = new DeliveryHarness(o => o.BeforeOptOutSweep = () =>
        {
            // The loop has seen the opt-out and is about to read memory: the user opts back in and a call is accepted.
            if (Interlocked.Increment(ref sweeps) == 1)
            {
                self!.Client.OptIn();
                self.Push(2);

                // Set only once the call is accepted, so the flush below is sure to wait for it.
                Volatile.Write(ref calledDuringSweep, 1);
            }
        });
        self = harness;
        harness.Push(1);
        harness.Client.OptOut();

        await DeliveryHarness.WaitUntilAsync(() => Volatile.Read(ref calledDuringSweep) == 1);
        await harness.FlushAsync();

        harness.Client.IsOptedOut.Should().BeFalse();
        harness.Accepted.SelectMany(r => r.Messages).Select(DeliveryHarness.NumberOf).Should().Equal(2);
        var stats = harness.AssertBalanced();
        (stats.Delivered, stats.DroppedByReason[DropReason.OptedOut]).Should().Be((1, 1));
    }

    [Fact]
    public async Task OptOut_CalledTwice_IsLoggedOnce()
    {
        await using var harness = new DeliveryHarness();

        harness.Client.OptOut();
        harness.Client.OptOut();
        harness.Client.OptIn();
        harness.Client.OptIn();

        harness.Log.Entries.Count(e => e.EventId == 7001).Should().Be(1);
        harness.Log.Entries.Count(e => e.EventId == 7002).Should().Be(1);
    }
}
