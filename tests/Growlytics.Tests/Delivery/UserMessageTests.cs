using GrowlyticsSdk.Messages;
using GrowlyticsSdk.Validation;

namespace GrowlyticsSdk.Tests.Delivery;

/// <summary>
/// A queued message keeps its timestamp as UTC ticks and only a restored message keeps an id of its own: what it gives
/// back is what it was made with.
/// </summary>
public sealed class UserMessageTests
{
    public static TheoryData<DateTimeOffset> Timestamps() =>
    [
        DateTimeOffset.UnixEpoch,
        new DateTimeOffset(2026, 12, 3, 9, 30, 15, 123, TimeSpan.Zero).AddTicks(9_999),
        new DateTimeOffset(2026, 12, 3, 15, 0, 15, 999, TimeSpan.FromMinutes(330)),
        new DateTimeOffset(1969, 12, 31, 23, 59, 59, 999, TimeSpan.Zero).AddTicks(5_000),
        DateTimeOffset.FromUnixTimeMilliseconds(-1),
        DateTimeOffset.FromUnixTimeMilliseconds(-62_135_596_799_999),
        DateTimeOffset.MinValue,
        DateTimeOffset.MaxValue,
    ];

    [Theory]
    [MemberData(nameof(Timestamps))]
    public void Timestamp_IsTheInstantItWasMadeWith_AndItsUnixMillisecondsAreTheRuntimes(DateTimeOffset timestamp)
    {
        var message = new UserMessage(MessageType.Update, 1, timestamp, "anon", null, [new UserAttribute("city", "Pune")]);

        message.Timestamp.Should().Be(timestamp);
        message.Timestamp.Offset.Should().Be(TimeSpan.Zero);
        message.UnixTimeMilliseconds.Should().Be(timestamp.ToUnixTimeMilliseconds());
    }

    [Fact]
    public void MessageId_OfThisRunsMessage_FollowsItsSequence_AndARestoredOneKeepsItsStoredId()
    {
        var live = new UserMessage(MessageType.Update, 42, DateTimeOffset.UnixEpoch, "anon", null, []);
        var restored = new RestoredUserMessage(MessageType.Update, 0, DateTimeOffset.UnixEpoch, "anon", null, [], 2, "stored-id");

        live.RestoredMessageId.Should().BeNull();
        live.MessageId.Should().Be(MessageIds.Format(42));
        restored.RestoredMessageId.Should().Be("stored-id");
        restored.MessageId.Should().Be("stored-id");
        restored.Calls.Should().Be(2);
        restored.Pooled.Should().BeFalse();
    }
}
