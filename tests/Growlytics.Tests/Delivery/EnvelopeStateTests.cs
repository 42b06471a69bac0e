using GrowlyticsSdk.Delivery;
using GrowlyticsSdk.Messages;
using GrowlyticsSdk.Validation;

namespace GrowlyticsSdk.Tests.Delivery;

/// <summary>
/// An envelope's state moves the same way whether it carries a memory message (only the dispatcher's loop touches it: plain
/// stores) or a stored record (storage may drop it from its own thread: compare-and-swap): settled once, never sent while
/// settled, and a record dropped while in a request is settled when the request ends, not before.
/// </summary>
public sealed class EnvelopeStateTests
{
    private static readonly object StoredRecord = new();

    public static TheoryData<bool> BothKinds => new() { false, true };

    [Theory]
    [MemberData(nameof(BothKinds))]
    public void Sending_ThenEnded_IsIdleAgainAndCanBeSentOrSettledOnce(bool stored)
    {
        var envelope = NewEnvelope(stored);

        envelope.TryStartSending().Should().BeTrue();
        envelope.TryStartSending().Should().BeFalse("it is in a request already");
        envelope.TrySettleIfIdle().Should().BeFalse("it is in a request");
        envelope.EndSending().Should().BeNull("nothing dropped it meanwhile");
        envelope.IsSettled.Should().BeFalse();

        envelope.TryStartSending().Should().BeTrue("it is idle again");
        envelope.TrySettle().Should().BeTrue("the answer settles it");
        envelope.TrySettle().Should().BeFalse("settled once only");
        envelope.TryStartSending().Should().BeFalse("a settled message is never sent");
        envelope.EndSending().Should().BeNull();
        (envelope.IsSettled, envelope.WasDroppedWhileSending).Should().Be((true, false));
    }

    [Theory]
    [MemberData(nameof(BothKinds))]
    public void SettledWhileIdle_IsNeitherSentNorSettledAgain(bool stored)
    {
        var envelope = NewEnvelope(stored);

        envelope.TrySettleIfIdle().Should().BeTrue();

        envelope.TrySettleIfIdle().Should().BeFalse();
        envelope.TrySettle().Should().BeFalse();
        envelope.TryStartSending().Should().BeFalse();
        envelope.IsSettled.Should().BeTrue();
    }

    [Fact]
    public void StoredRecord_DroppedWhileInARequest_IsSettledByTheRequestsEndWithTheDropsReason()
    {
        var envelope = NewEnvelope(stored: true);
        envelope.TryStartSending().Should().BeTrue();

        envelope.DropUnlessSending(DropReason.StorageFull, out var waits).Should().BeFalse("the request may still deliver it");
        waits.Should().BeTrue();
        envelope.IsSettled.Should().BeFalse();

        envelope.EndSending().Should().Be(DropReason.StorageFull, "not delivered: the drop counts once the request ends");
        envelope.TrySettle().Should().BeTrue();
        (envelope.IsSettled, envelope.WasDroppedWhileSending).Should().Be((true, true));
    }

    [Fact]
    public void StoredRecord_StorageDropRacingTheLoop_SettlesItExactlyOnce()
    {
        // The loop sends and settles while storage drops the record from another thread: one of them settles it, never both.
        for (var round = 0; round < 2_000; round++)
        {
            var envelope = NewEnvelope(stored: true);
            var settledByStorage = 0;
            var settledByLoop = 0;
            using var start = new Barrier(2);
            var storage = new Thread(() =>
            {
                start.SignalAndWait();
                if (envelope.DropUnlessSending(DropReason.StorageFull, out _))
                {
                    settledByStorage++;
                }
            });
            storage.Start();

            start.SignalAndWait();
            if (envelope.TryStartSending())
            {
                if (envelope.EndSending() is not null || round % 2 == 0)
                {
                    // Dropped while in the request (counted dropped by the loop), or delivered.
                    settledByLoop += envelope.TrySettle() ? 1 : 0;
                }
                else
                {
                    settledByLoop += envelope.TrySettleIfIdle() ? 1 : 0;
                }
            }

            storage.Join();
            (settledByStorage + settledByLoop).Should().Be(1, "round {0}", round);
            envelope.IsSettled.Should().BeTrue();
        }
    }

    private static Envelope NewEnvelope(bool stored)
    {
        var message = new UserMessage(MessageType.Update, 1, DateTimeOffset.UnixEpoch, "anon", null, [new UserAttribute("city", "Pune")]);
        return new Envelope(message, null!, stored ? StoredRecord : null, 0);
    }
}
