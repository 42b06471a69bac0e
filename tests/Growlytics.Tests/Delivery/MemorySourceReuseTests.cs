using GrowlyticsSdk.Delivery;
using GrowlyticsSdk.Diagnostics;
using GrowlyticsSdk.Messages;
using GrowlyticsSdk.Threading;
using GrowlyticsSdk.Validation;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace GrowlyticsSdk.Tests.Delivery;

/// <summary>Envelopes of delivered memory messages carry later messages: they must come back as new.</summary>
public sealed class MemorySourceReuseTests
{
    [Fact]
    public void Read_AfterADeliveredEnvelopeIsReused_ItCarriesTheNewMessageAsNew()
    {
        var (counters, queue, source, settler) = NewSource();
        queue.Enqueue(Message(1, "Pune"));
        var first = ReadOne(source);
        first.Ticket = 41;
        first.Partition = 7;
        first.JsonBytes = 99;
        first.Payload = new byte[] { 1, 2, 3 };
        first.TryStartSending().Should().BeTrue();
        settler.Delivered(first).Should().BeTrue();
        source.Reuse([first]);
        first.Message.Should().BeNull("a kept envelope does not hold a delivered message's values");

        var next = Message(2, "a much longer city name than the first one had");
        queue.Enqueue(next);
        var second = ReadOne(source);

        second.Should().BeSameAs(first, "the delivered envelope is taken again");
        second.Message.Should().BeSameAs(next);
        second.EstimatedBytes.Should().Be(MessageSize.Estimate(next));
        (second.IsSettled, second.WasDroppedWhileSending, second.Ticket, second.Partition, second.JsonBytes, second.Payload.IsEmpty)
            .Should().Be((false, false, 0L, 0, 0, true));
        second.TryStartSending().Should().BeTrue("it is idle again");
        settler.Delivered(second).Should().BeTrue("it is settled once more, for its new message");
        counters.Delivered.Should().Be(2);
        queue.EstimatedBytes.Should().Be(0, "each message's bytes were released once, by its own size");
    }

    [Fact]
    public void Delivered_AnEnvelopeSettledBefore_IsNotCountedAgainAndNotOfferedForReuse()
    {
        var (counters, queue, source, settler) = NewSource();
        queue.Enqueue(Message(1, "Pune"));
        var envelope = ReadOne(source);
        settler.Dropped(envelope, DropReason.OptedOut);

        settler.Delivered(envelope).Should().BeFalse();
        counters.Delivered.Should().Be(0);
        counters.GetDropped(DropReason.OptedOut).Should().Be(1);
    }

    private static Envelope ReadOne(MemorySource source)
    {
        var read = new List<Envelope>();
        source.Read(read, 1).Should().Be(1);
        return read[0];
    }

    private static (DeliveryCounters Counters, MessageQueue Queue, MemorySource Source, Settler Settler) NewSource()
    {
        var counters = new DeliveryCounters();
        var options = new GrowlyticsOptions { TimeProvider = new FakeTimeProvider() };
        var queue = new MessageQueue(options, 100, 500_000, counters, new WakeSignal(), NullLogger.Instance);
        return (counters, queue, new MemorySource(queue), new Settler(counters, dropped: null));
    }

    private static UserMessage Message(long id, string city) =>
        new(MessageType.Update, id, DateTimeOffset.UnixEpoch, "anon", null, [new UserAttribute("city", city)]);
}
