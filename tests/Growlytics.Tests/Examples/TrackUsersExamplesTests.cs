using GrowlyticsSdk.Messages;
using GrowlyticsSdk.Tests.TestSupport.Caller;

namespace GrowlyticsSdk.Tests.Examples;

/// <summary>
/// Each example of the Track Users document ("Track User Attributes", "Login User", "Log Out" and its warning about
/// identifying without a logout), written in C#, and the exact wire messages it produces.
/// </summary>
public sealed class TrackUsersExamplesTests : IDisposable
{
    private const string UserId = "THE_USER_ID_IN_YOUR_APP";

    private const string JohnWickAttributes =
        "[{\"name\":\"name\",\"type\":\"string\",\"value\":\"John Wick\"},"
        + "{\"name\":\"email\",\"type\":\"string\",\"value\":\"john@gmail.com\"},"
        + "{\"name\":\"mobile\",\"type\":\"string\",\"value\":\"9876543210\"},"
        + "{\"name\":\"subscriptionType\",\"type\":\"string\",\"value\":\"pro\"},"
        + "{\"name\":\"region\",\"type\":\"string\",\"value\":\"Mumbai\"},"
        + "{\"name\":\"totalPurchaseTillNow\",\"type\":\"number\",\"value\":30000}]";

    private readonly CallerHarness _harness = new();

    public void Dispose() => _harness.Dispose();

    [Fact]
    public void Push_CityWhileAnonymous_QueuesOneUpdateForTheAnonymousProfile()
    {
        var user = _harness.User;
        var anonymousId = user.AnonymousId;

        // Growlytics.user.push({ city: 'San Francisco' });
        user.Push(new { city = "San Francisco" });

        var message = _harness.Drain().Should().ContainSingle().Subject;
        message.Type.Should().Be(MessageType.Update);
        message.UserId.Should().BeNull();
        message.AnonymousId.Should().Be(anonymousId);
        CallerHarness.Normalize(message, Aliases((anonymousId, "A1"))).Should().Be(
            "{\"type\":\"update\",\"messageId\":\"MSG\",\"eventTimestamp\":1764342000000,\"anonymousId\":\"A1\",\"userId\":null,"
            + "\"attributes\":[{\"name\":\"city\",\"type\":\"string\",\"value\":\"San Francisco\"}]}");
        user.IsIdentified.Should().BeFalse();
    }

    [Fact]
    public void Identify_JohnWickWithReservedAndCustomAttributes_QueuesOneLoginCarryingTheAnonymousId()
    {
        var user = _harness.User;
        var anonymousId = user.AnonymousId;

        user.Identify(UserId, new
        {
            // Reserved customer properties (used in campaigns)
            name = "John Wick",
            email = "john@gmail.com",
            mobile = "9876543210",

            // Custom properties
            subscriptionType = "pro",
            region = "Mumbai",
            totalPurchaseTillNow = 30000,
        });

        var message = _harness.Drain().Should().ContainSingle().Subject;
        message.Type.Should().Be(MessageType.Login);
        CallerHarness.Normalize(message, Aliases((anonymousId, "A1"))).Should().Be(
            "{\"type\":\"login\",\"messageId\":\"MSG\",\"eventTimestamp\":1764342000000,\"anonymousId\":\"A1\","
            + "\"userId\":\"THE_USER_ID_IN_YOUR_APP\",\"attributes\":" + JohnWickAttributes + "}");
        user.UserId.Should().Be(UserId);
        user.IsIdentified.Should().BeTrue();
        user.AnonymousId.Should().Be(anonymousId, "logging in keeps the anonymous id so the profiles can be merged");
    }

    [Fact]
    public void Identify_JohnWickWithTypedUserAttributes_WritesTheSameWireJsonAsTheAnonymousObject()
    {
        var user = _harness.User;
        var anonymousId = user.AnonymousId;

        user.Identify(UserId, new UserAttributes
        {
            Name = "John Wick",
            Email = "john@gmail.com",
            Mobile = "9876543210",
            ["subscriptionType"] = "pro",
            ["region"] = "Mumbai",
            ["totalPurchaseTillNow"] = 30000,
        });

        var message = _harness.Drain().Should().ContainSingle().Subject;
        CallerHarness.Normalize(message, Aliases((anonymousId, "A1"))).Should().Be(
            "{\"type\":\"login\",\"messageId\":\"MSG\",\"eventTimestamp\":1764342000000,\"anonymousId\":\"A1\","
            + "\"userId\":\"THE_USER_ID_IN_YOUR_APP\",\"attributes\":" + JohnWickAttributes + "}");
    }

    [Fact]
    public void Logout_AfterIdentify_QueuesLogoutForTheUserThenStartsAFreshAnonymousProfile()
    {
        var user = _harness.User;
        var firstAnonymousId = user.AnonymousId;
        user.Identify(UserId);
        _harness.Drain();
        _harness.Time.Advance(TimeSpan.FromSeconds(1));

        // Growlytics.user.logout();
        user.Logout();

        var message = _harness.Drain().Should().ContainSingle().Subject;
        CallerHarness.Normalize(message, Aliases((firstAnonymousId, "A1"))).Should().Be(
            "{\"type\":\"logout\",\"messageId\":\"MSG\",\"eventTimestamp\":1764342001000,\"anonymousId\":\"A1\","
            + "\"userId\":\"THE_USER_ID_IN_YOUR_APP\"}");
        user.IsIdentified.Should().BeFalse();
        user.UserId.Should().BeNull();
        user.AnonymousId.Should().NotBe(firstAnonymousId).And.MatchRegex("^[A-Za-z0-9_-]{22}$");
    }

    [Fact]
    public void Identify_AnotherUserWithoutLogout_LogsTheFirstUserOutBeforeLoggingTheSecondIn()
    {
        // The document warns: "Make sure you do logout() before you use identify(), or else previously
        // identified user's data may get updated." The SDK does that logout itself.
        var user = _harness.User;
        var a1 = user.AnonymousId;
        user.Identify("user-a", new { plan = "free" });

        user.Identify("user-b", new { plan = "pro" });

        var a2 = user.AnonymousId;
        a2.Should().NotBe(a1);
        var json = _harness.Drain().Select(m => CallerHarness.Normalize(m, Aliases((a1, "A1"), (a2, "A2")))).ToList();
        json.Should().Equal(
            "{\"type\":\"login\",\"messageId\":\"MSG\",\"eventTimestamp\":1764342000000,\"anonymousId\":\"A1\",\"userId\":\"user-a\","
            + "\"attributes\":[{\"name\":\"plan\",\"type\":\"string\",\"value\":\"free\"}]}",
            "{\"type\":\"logout\",\"messageId\":\"MSG\",\"eventTimestamp\":1764342000000,\"anonymousId\":\"A1\",\"userId\":\"user-a\"}",
            "{\"type\":\"login\",\"messageId\":\"MSG\",\"eventTimestamp\":1764342000000,\"anonymousId\":\"A2\",\"userId\":\"user-b\","
            + "\"attributes\":[{\"name\":\"plan\",\"type\":\"string\",\"value\":\"pro\"}]}");
        user.UserId.Should().Be("user-b");
        _harness.Logs.Warnings.Should().ContainSingle(w => w.EventId.Id == 1002)
            .Which.Message.Should().Contain("Logout()").And.NotContain("user-a").And.NotContain("user-b");
    }

    [Fact]
    public void WholeVisit_PushIdentifyPushLogoutPush_ProducesTheDocumentedSequenceWithContinuousAnonymousIds()
    {
        var user = _harness.User;
        var a1 = user.AnonymousId;

        user.Push(new { city = "San Francisco" });
        _harness.Time.Advance(TimeSpan.FromMilliseconds(250));
        user.Identify(UserId, new { name = "John Wick", email = "john@gmail.com", mobile = "9876543210" });
        _harness.Time.Advance(TimeSpan.FromMilliseconds(250));
        user.Push(new { totalPurchaseTillNow = 30000 });
        _harness.Time.Advance(TimeSpan.FromMilliseconds(250));
        user.Logout();
        var a2 = user.AnonymousId;
        _harness.Time.Advance(TimeSpan.FromMilliseconds(250));
        user.Push(new { city = "Mumbai" });

        var messages = _harness.Drain();
        messages.Select(m => (m.Type, m.UserId, m.AnonymousId)).Should().Equal(
            (MessageType.Update, null, a1),
            (MessageType.Login, UserId, a1),
            (MessageType.Update, UserId, a1),
            (MessageType.Logout, UserId, a1),
            (MessageType.Update, null, a2));
        messages.Select(m => m.Sequence).Should().BeInAscendingOrder().And.OnlyHaveUniqueItems();
        messages.Select(m => m.Timestamp.ToUnixTimeMilliseconds()).Should().Equal(
            1764342000000, 1764342000250, 1764342000500, 1764342000750, 1764342001000);
        CallerHarness.Normalize(messages[2], Aliases((a1, "A1"))).Should().Be(
            "{\"type\":\"update\",\"messageId\":\"MSG\",\"eventTimestamp\":1764342000500,\"anonymousId\":\"A1\",\"userId\":\"THE_USER_ID_IN_YOUR_APP\","
            + "\"attributes\":[{\"name\":\"totalPurchaseTillNow\",\"type\":\"number\",\"value\":30000}]}");
        CallerHarness.Normalize(messages[4], Aliases((a2, "A2"))).Should().Be(
            "{\"type\":\"update\",\"messageId\":\"MSG\",\"eventTimestamp\":1764342001000,\"anonymousId\":\"A2\",\"userId\":null,"
            + "\"attributes\":[{\"name\":\"city\",\"type\":\"string\",\"value\":\"Mumbai\"}]}");
    }

    [Fact]
    public void Identify_WithoutAttributes_QueuesLoginWithAnEmptyAttributeList()
    {
        var a1 = _harness.User.AnonymousId;

        _harness.User.Identify(UserId);

        CallerHarness.Normalize(_harness.Drain().Single(), Aliases((a1, "A1"))).Should().Be(
            "{\"type\":\"login\",\"messageId\":\"MSG\",\"eventTimestamp\":1764342000000,\"anonymousId\":\"A1\","
            + "\"userId\":\"THE_USER_ID_IN_YOUR_APP\",\"attributes\":[]}");
    }

    [Fact]
    public void MessageId_OfConsecutiveMessages_IsUuidShapedAndUnique()
    {
        _harness.User.Push(new { a = 1 });
        _harness.User.Push(new { a = 2 });

        var ids = _harness.Drain().Select(m => m.MessageId).ToList();

        ids.Should().OnlyHaveUniqueItems().And.AllSatisfy(id => id.Should().MatchRegex("^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"));
    }

    private static Dictionary<string, string> Aliases(params (string Id, string Alias)[] pairs) =>
        pairs.ToDictionary(p => p.Id, p => p.Alias);
}
