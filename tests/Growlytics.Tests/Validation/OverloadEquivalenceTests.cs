using System.Collections;
using System.Numerics;
using GrowlyticsSdk.Messages;
using GrowlyticsSdk.Tests.TestSupport.Caller;

namespace GrowlyticsSdk.Tests.Validation;

/// <summary>The anonymous-object, dictionary and <see cref="UserAttributes"/> overloads say the same thing for the same data.</summary>
public sealed class OverloadEquivalenceTests
{
    private static readonly DateTimeOffset Since = new(2024, 3, 1, 9, 30, 0, TimeSpan.FromHours(5.5));

    [Fact]
    public void Push_SameDataThroughEachOverload_WritesIdenticalJson()
    {
        using var harness = new CallerHarness();
        var user = harness.User;

        user.Push(new { name = "John Wick", email = "john@gmail.com", mobile = "+91 98765 43210", plan = "pro", spent = 30000.5m, big = BigInteger.Pow(2, 70), vip = true, since = Since, skipped = (string?)null });
        user.Push(AsDictionary());
        user.Push(AsUserAttributes());
        user.Push((object)AsDictionary());
        user.Push((object)AsUserAttributes());

        var json = harness.Drain().Select(WithoutMessageId).ToList();
        json.Should().HaveCount(5);
        json.Distinct().Should().ContainSingle();
        json[0].Should().Contain(
            "\"attributes\":[{\"name\":\"name\",\"type\":\"string\",\"value\":\"John Wick\"},"
            + "{\"name\":\"email\",\"type\":\"string\",\"value\":\"john@gmail.com\"},"
            + "{\"name\":\"mobile\",\"type\":\"string\",\"value\":\"+91 98765 43210\"},"
            + "{\"name\":\"plan\",\"type\":\"string\",\"value\":\"pro\"},"
            + "{\"name\":\"spent\",\"type\":\"number\",\"value\":30000.5},"
            + "{\"name\":\"big\",\"type\":\"number\",\"value\":1180591620717411303424},"
            + "{\"name\":\"vip\",\"type\":\"boolean\",\"value\":true},"
            + "{\"name\":\"since\",\"type\":\"date\",\"value\":\"2024-03-01 04:00:00\"}]");
    }

    [Fact]
    public void Identify_SameDataThroughEachOverload_WritesIdenticalLogins()
    {
        var logins = new List<string>();
        foreach (var identify in new Action<GrowlyticsUser>[]
        {
            u => u.Identify("u-1", new { name = "John Wick", email = "john@gmail.com", mobile = "+91 98765 43210", plan = "pro", spent = 30000.5m, big = BigInteger.Pow(2, 70), vip = true, since = Since, skipped = (string?)null }),
            u => u.Identify("u-1", AsDictionary()),
            u => u.Identify("u-1", AsUserAttributes()),
        })
        {
            using var harness = new CallerHarness();
            var anonymousId = harness.User.AnonymousId;
            identify(harness.User);
            var message = harness.Drain().Single();
            message.Type.Should().Be(MessageType.Login);
            logins.Add(CallerHarness.Normalize(message, new Dictionary<string, string> { [anonymousId] = "A" }));
        }

        logins.Distinct().Should().ContainSingle();
    }

    [Fact]
    public void Identify_NullAttributesThroughEachOverload_QueuesAnEmptyLogin()
    {
        foreach (var identify in new Action<GrowlyticsUser>[]
        {
            u => u.Identify("u-1"),
            u => u.Identify("u-1", (object?)null),
            u => u.Identify("u-1", (IReadOnlyDictionary<string, object?>?)null),
            u => u.Identify("u-1", (UserAttributes?)null),
        })
        {
            using var harness = new CallerHarness();
            identify(harness.User);
            var message = harness.Drain().Should().ContainSingle().Subject;
            message.Type.Should().Be(MessageType.Login);
            message.Attributes.Should().BeEmpty();
        }
    }

    [Fact]
    public void Push_OtherDictionaryShapesThroughTheObjectOverload_AreReadAsDictionaries()
    {
        using var harness = new CallerHarness();

        harness.User.Push((object)new Dictionary<string, int> { ["visits"] = 3 });
        harness.User.Push((object)new Hashtable { ["visits"] = 3 });
        harness.User.Push((object)new SortedDictionary<string, object?> { ["visits"] = 3 });

        harness.Drain().Select(m => m.Attributes.Single()).Should().AllSatisfy(a =>
        {
            a.Name.Should().Be("visits");
            a.Value.Should().Be(3);
        });
    }

    private static Dictionary<string, object?> AsDictionary() => new()
    {
        ["name"] = "John Wick",
        ["email"] = "john@gmail.com",
        ["mobile"] = "+91 98765 43210",
        ["plan"] = "pro",
        ["spent"] = 30000.5m,
        ["big"] = BigInteger.Pow(2, 70),
        ["vip"] = true,
        ["since"] = Since,
        ["skipped"] = null,
    };

    private static UserAttributes AsUserAttributes() => new()
    {
        Name = "John Wick",
        Email = "john@gmail.com",
        Mobile = "+91 98765 43210",
        ["plan"] = "pro",
        ["spent"] = 30000.5m,
        ["big"] = BigInteger.Pow(2, 70),
        ["vip"] = true,
        ["since"] = Since,
        ["skipped"] = null,
    };

    private static string WithoutMessageId(UserMessage message) =>
        CallerHarness.ToJson(message).Replace(message.MessageId, "MSG", StringComparison.Ordinal);
}
