using System.Text.Json;
using GrowlyticsSdk.Messages;
using GrowlyticsSdk.Tests.TestSupport.Caller;
using GrowlyticsSdk.Validation;

namespace GrowlyticsSdk.Tests.Serialization;

/// <summary>The exact shape of each message type on the wire, built from fixed inputs.</summary>
public sealed class WireMessageShapeTests
{
    private const string Anonymous = "qnm78HZN8HbF4DeOKXg0kw";

    private static readonly UserAttribute[] TwoAttributes =
    [
        new("city", "San Francisco"),
        new("visits", 3),
    ];

    [Fact]
    public void Serialize_Login_WritesTypeIdsTimestampAndAttributes()
    {
        var message = new UserMessage(MessageType.Login, 7, CallerHarness.Now.AddMilliseconds(123), Anonymous, "u-1", TwoAttributes);

        CallerHarness.ToJson(message).Should().Be(
            "{\"type\":\"login\",\"messageId\":\"" + message.MessageId + "\",\"eventTimestamp\":1764342000123,"
            + "\"anonymousId\":\"qnm78HZN8HbF4DeOKXg0kw\",\"userId\":\"u-1\","
            + "\"attributes\":[{\"name\":\"city\",\"type\":\"string\",\"value\":\"San Francisco\"},{\"name\":\"visits\",\"type\":\"number\",\"value\":3}]}");
    }

    [Fact]
    public void Serialize_AnonymousUpdate_WritesUserIdAsJsonNull()
    {
        var message = new UserMessage(MessageType.Update, 8, CallerHarness.Now, Anonymous, null, TwoAttributes[..1]);

        var json = CallerHarness.ToJson(message);

        json.Should().Be(
            "{\"type\":\"update\",\"messageId\":\"" + message.MessageId + "\",\"eventTimestamp\":1764342000000,"
            + "\"anonymousId\":\"qnm78HZN8HbF4DeOKXg0kw\",\"userId\":null,"
            + "\"attributes\":[{\"name\":\"city\",\"type\":\"string\",\"value\":\"San Francisco\"}]}");
        JsonDocument.Parse(json).RootElement.GetProperty("userId").ValueKind.Should().Be(JsonValueKind.Null);
    }

    [Fact]
    public void Serialize_IdentifiedUpdate_WritesTheUserId()
    {
        var message = new UserMessage(MessageType.Update, 9, CallerHarness.Now, Anonymous, "u-1", TwoAttributes[1..]);

        CallerHarness.ToJson(message).Should().Be(
            "{\"type\":\"update\",\"messageId\":\"" + message.MessageId + "\",\"eventTimestamp\":1764342000000,"
            + "\"anonymousId\":\"qnm78HZN8HbF4DeOKXg0kw\",\"userId\":\"u-1\","
            + "\"attributes\":[{\"name\":\"visits\",\"type\":\"number\",\"value\":3}]}");
    }

    [Fact]
    public void Serialize_Logout_HasNoAttributesProperty()
    {
        var message = new UserMessage(MessageType.Logout, 10, CallerHarness.Now, Anonymous, "u-1", []);

        CallerHarness.ToJson(message).Should().Be(
            "{\"type\":\"logout\",\"messageId\":\"" + message.MessageId + "\",\"eventTimestamp\":1764342000000,"
            + "\"anonymousId\":\"qnm78HZN8HbF4DeOKXg0kw\",\"userId\":\"u-1\"}");
    }

    [Theory]
    [InlineData("Pune")]
    [InlineData("Zürich")]
    public void Serialize_MessageSettlingSeveralCalls_WritesNoCallsCount(string city)
    {
        // The calls a message settles (a login with held pushes) are stored with it, never sent: whichever path writes it
        // (plain ASCII directly, other text through the writer).
        var message = new UserMessage(MessageType.Update, 11, CallerHarness.Now, Anonymous, "u-1", [new("city", city)], calls: 3);

        CallerHarness.ToJson(message).Should().Be(
            "{\"type\":\"update\",\"messageId\":\"" + message.MessageId + "\",\"eventTimestamp\":1764342000000,"
            + "\"anonymousId\":\"qnm78HZN8HbF4DeOKXg0kw\",\"userId\":\"u-1\","
            + "\"attributes\":[{\"name\":\"city\",\"type\":\"string\",\"value\":\"" + city + "\"}]}");
    }

    [Fact]
    public void MessageId_FromSequence_IsAProcessPrefixThenTheSequenceInHex()
    {
        var small = new UserMessage(MessageType.Logout, 10, CallerHarness.Now, Anonymous, "u-1", []).MessageId;
        var large = new UserMessage(MessageType.Logout, 0x1234_5678_9ABC_DEF0, CallerHarness.Now, Anonymous, "u-1", []).MessageId;

        small.Should().EndWith("-0000-00000000000a").And.HaveLength(36);
        large.Should().EndWith("-1234-56789abcdef0");
        small[..18].Should().Be(large[..18], "one process uses one random prefix");
    }
}
