using GrowlyticsSdk.Messages;
using GrowlyticsSdk.Tests.TestSupport.Caller;

namespace GrowlyticsSdk.Tests.Sessions;

/// <summary>Identify, logout and re-identify sequences on one session, and the messages each step queues.</summary>
public sealed class SessionLifecycleTests : IDisposable
{
    private readonly CallerHarness _harness = new();

    public void Dispose() => _harness.Dispose();

    [Fact]
    public void NewSession_HasAUrlSafeAnonymousIdAndNoUser()
    {
        var user = _harness.User;

        user.AnonymousId.Should().MatchRegex("^[A-Za-z0-9_-]{22}$");
        user.UserId.Should().BeNull();
        user.IsIdentified.Should().BeFalse();
        _harness.Drain().Should().BeEmpty("starting a session sends nothing");
    }

    [Fact]
    public void IdentifyLogoutIdentify_SameUser_LogsInTwiceWithDifferentAnonymousIds()
    {
        var user = _harness.User;
        var a1 = user.AnonymousId;

        user.Identify("u-1");
        user.Logout();
        var a2 = user.AnonymousId;
        user.Identify("u-1");

        _harness.Drain().Select(m => (m.Type, m.UserId, m.AnonymousId)).Should().Equal(
            (MessageType.Login, "u-1", a1),
            (MessageType.Logout, "u-1", a1),
            (MessageType.Login, "u-1", a2));
        a2.Should().NotBe(a1);
        user.UserId.Should().Be("u-1");
        user.AnonymousId.Should().Be(a2);
        _harness.Logs.Warnings.Should().BeEmpty();
    }

    [Fact]
    public void Identify_SameUserAgainWithAttributes_QueuesAnUpdateNotALogout()
    {
        var user = _harness.User;
        var a1 = user.AnonymousId;
        user.Identify("u-1", new { plan = "free" });

        user.Identify("u-1", new { plan = "pro" });

        _harness.Drain().Select(m => (m.Type, m.UserId, m.AnonymousId, (string)m.Attributes.Single().Value)).Should().Equal(
            (MessageType.Login, "u-1", a1, "free"),
            (MessageType.Update, "u-1", a1, "pro"));
        user.AnonymousId.Should().Be(a1);
        _harness.Logs.Warnings.Should().BeEmpty();
    }

    [Fact]
    public void Identify_SameUserAgainWithoutAttributes_QueuesNothing()
    {
        _harness.User.Identify("u-1");
        _harness.Drain();

        _harness.User.Identify("u-1");
        _harness.User.Identify("u-1", new { nothing = (string?)null });

        _harness.Drain().Should().BeEmpty();
        _harness.User.UserId.Should().Be("u-1");
    }

    [Fact]
    public void Identify_UserIdsDifferingOnlyInCase_AreDifferentUsers()
    {
        _harness.User.Identify("user-a");

        _harness.User.Identify("USER-A");

        _harness.Drain().Select(m => (m.Type, m.UserId)).Should().Equal(
            (MessageType.Login, "user-a"), (MessageType.Logout, "user-a"), (MessageType.Login, "USER-A"));
    }

    [Fact]
    public void Identify_AnotherUserWhileIdentified_LogsOutFirstRotatesTheAnonymousIdAndWarns()
    {
        var user = _harness.User;
        var a1 = user.AnonymousId;
        user.Identify("user-a");

        user.Identify("user-b", new { plan = "pro" });

        var a2 = user.AnonymousId;
        a2.Should().NotBe(a1);
        var messages = _harness.Drain();
        messages.Select(m => (m.Type, m.UserId, m.AnonymousId)).Should().Equal(
            (MessageType.Login, "user-a", a1),
            (MessageType.Logout, "user-a", a1),
            (MessageType.Login, "user-b", a2));
        messages[1].Attributes.Should().BeEmpty();
        messages[2].Attributes.Single().Value.Should().Be("pro", "user-b's data goes to user-b only");
        var warning = _harness.Logs.Warnings.Should().ContainSingle().Subject;
        warning.EventId.Id.Should().Be(1002);
        warning.Message.Should().NotContain("user-a").And.NotContain("user-b");
    }

    [Fact]
    public void Identify_ManyTimesWithoutLogout_WarnsOncePerIntervalWithACount()
    {
        var user = _harness.User;
        for (var i = 0; i < 50; i++)
        {
            user.Identify("user-" + i);
        }

        _harness.Logs.Warnings.Should().ContainSingle("a busy server is not flooded with one line per call")
            .Which.EventId.Id.Should().Be(1002);

        _harness.Time.Advance(TimeSpan.FromSeconds(10));
        user.Identify("user-last");

        _harness.Logs.Warnings.Should().HaveCount(2);
        _harness.Logs.Warnings[1].Message.Should().Contain("called 49 time(s) since the last report");
    }

    [Fact]
    public void Logout_WhenNobodyIsIdentified_QueuesNothingAndKeepsTheAnonymousId()
    {
        var a1 = _harness.User.AnonymousId;

        _harness.User.Logout();

        _harness.Drain().Should().BeEmpty();
        _harness.User.AnonymousId.Should().Be(a1);
    }

    [Fact]
    public void Logout_Twice_QueuesOneLogout()
    {
        _harness.User.Identify("u-1");
        _harness.User.Logout();
        var afterFirst = _harness.User.AnonymousId;

        _harness.User.Logout();

        _harness.Drain().Count(m => m.Type == MessageType.Logout).Should().Be(1);
        _harness.User.AnonymousId.Should().Be(afterFirst);
    }

    [Fact]
    public void Push_AfterLogout_UpdatesTheFreshAnonymousProfile()
    {
        _harness.User.Identify("u-1");
        _harness.User.Logout();
        var fresh = _harness.User.AnonymousId;

        _harness.User.Push(new { city = "Pune" });

        var update = _harness.Drain().Last();
        update.Type.Should().Be(MessageType.Update);
        update.UserId.Should().BeNull();
        update.AnonymousId.Should().Be(fresh);
    }

    [Fact]
    public void Push_WhileIdentified_CarriesUserIdAndTheAnonymousIdOfTheLogin()
    {
        var a1 = _harness.User.AnonymousId;
        _harness.User.Identify("u-1");

        _harness.User.Push(new { city = "Pune" });

        _harness.Drain().Last().Should().Match<UserMessage>(m => m.Type == MessageType.Update && m.UserId == "u-1" && m.AnonymousId == a1);
    }

    [Fact]
    public void AnonymousIds_OfManySessions_AreDistinct()
    {
        var ids = Enumerable.Range(0, 200).Select(_ =>
        {
            using var scope = _harness.Client.BeginScope();
            return _harness.Client.User.AnonymousId;
        }).ToList();

        ids.Should().OnlyHaveUniqueItems().And.AllSatisfy(id => id.Should().MatchRegex("^[A-Za-z0-9_-]{22}$"));
    }
}
