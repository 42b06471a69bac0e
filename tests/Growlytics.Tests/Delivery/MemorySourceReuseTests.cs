using System.Runtime.CompilerServices;
using GrowlyticsSdk.Delivery;
using GrowlyticsSdk.Diagnostics;
using GrowlyticsSdk.Messages;
using GrowlyticsSdk.Tests.TestSupport;
using GrowlyticsSdk.Threading;
using GrowlyticsSdk.Validation;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace GrowlyticsSdk.Tests.Delivery;

/// <summary>
/// Envelopes of delivered memory messages carry later messages: they must come back as new, and no more are kept than the
/// queue can hold (those not needed since the last trim are let go). A read counts what it took once, and a request's
/// delivered messages are counted together: the figures must come out as if counted one by one.
/// </summary>
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

    [Fact]
    public void UnreadCount_WhileAReadHasTakenMessagesNotYetCounted_WaitsAndDoesNotCountThemUnread()
    {
        var (_, queue, source, _) = NewSource();
        for (var i = 1; i <= 10; i++)
        {
            queue.Enqueue(Message(i, "Pune"));
        }

        // Asked on a thread of its own in the middle of the read (as OptIn takes its limit), and given time to answer.
        var seen = -1;
        using var answered = new ManualResetEventSlim();
        var asker = new Thread(() =>
        {
            Volatile.Write(ref seen, source.UnreadCount);
            answered.Set();
        });
        source.AfterTake = () =>
        {
            if (asker.ThreadState == ThreadState.Unstarted)
            {
                asker.Start();
                answered.Wait(TimeSpan.FromMilliseconds(200));
            }
        };

        source.Read([], 10).Should().Be(10);

        asker.Join(DeliveryHarness.RealTimeout).Should().BeTrue();
        Volatile.Read(ref seen).Should().Be(0, "the ten messages taken were read: none of them is unread, whenever it is asked");
        queue.Unread.Should().Be(0);
        queue.UnreadJson.Should().Be(0);
    }

    [Fact]
    public void Read_FaultAfterSomeWereTaken_CountsTheTakenOnesRead()
    {
        var (_, queue, source, _) = NewSource();
        for (var i = 1; i <= 10; i++)
        {
            queue.Enqueue(Message(i, "Pune"));
        }

        var jsonEach = MessageSize.EstimateJson(Message(1, "Pune"));
        var takes = 0;
        source.AfterTake = () =>
        {
            if (++takes == 3)
            {
                throw new InvalidOperationException("fault in a read");
            }
        };

        var read = () => source.Read([], 10);

        read.Should().Throw<InvalidOperationException>();
        queue.Unread.Should().Be(7, "three messages left the queue");
        queue.UnreadJson.Should().Be(7 * jsonEach);
    }

    [Theory]
    [InlineData(40, 37)]
    [InlineData(32, 100)]
    [InlineData(17, 16)]
    public void Read_MoreMessagesThanOneGroup_TakesThemInOrderAndCountsExactlyThoseRead(int queued, int asked)
    {
        // A read takes the queue's messages in groups of 16 (their lines fetched together): the boundaries must not show.
        var (_, queue, source, _) = NewSource();
        var messages = Enumerable.Range(1, queued).Select(i => Message(i, new string('x', i))).ToList();
        foreach (var message in messages)
        {
            queue.Enqueue(message);
        }

        var takes = 0;
        source.AfterTake = () => takes++;
        var read = new List<Envelope>();

        source.Read(read, asked).Should().Be(Math.Min(queued, asked));

        var expected = messages.Take(asked).ToList();
        read.Select(e => e.Message).Should().Equal(expected, (a, b) => ReferenceEquals(a, b), "in the order they were queued");
        read.Select(e => e.EstimatedBytes).Should().Equal(expected.Select(MessageSize.Estimate));
        takes.Should().Be(expected.Count, "the seam runs once per message taken");
        var left = messages.Skip(asked).ToList();
        queue.Unread.Should().Be(left.Count);
        queue.UnreadJson.Should().Be(left.Sum(m => (long)MessageSize.EstimateJson(m)), "what was read left the unread bytes exactly");

        var rest = new List<Envelope>();
        source.Read(rest, 100).Should().Be(left.Count);
        rest.Select(e => e.Message).Should().Equal(left, (a, b) => ReferenceEquals(a, b));
        (queue.Unread, queue.UnreadJson).Should().Be((0, 0L));
    }

    [Fact]
    public void Read_FaultInTheSecondGroup_CountsEveryTakenOneReadAndHoldsNoneOfThem()
    {
        var (_, queue, source, _) = NewSource();
        var (taken, leftJson) = QueueThirtyAndFailTheTwentiethTake(queue, source);

        queue.Unread.Should().Be(10, "twenty messages left the queue");
        queue.UnreadJson.Should().Be(leftJson);

        // The twenty taken (four of them in the failed group) are referenced by nothing the SDK holds any more.
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        taken.Count(message => message.IsAlive).Should().Be(0);

        // The next read starts a clean group: the ten left, in order.
        source.AfterTake = null;
        var rest = new List<Envelope>();
        source.Read(rest, 30).Should().Be(10);
        rest.Select(e => e.Message.Sequence).Should().Equal(Enumerable.Range(21, 10).Select(i => (long)i));
    }

    // Apart, so no local of the test keeps a taken message alive.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static (List<WeakReference> Taken, long LeftJson) QueueThirtyAndFailTheTwentiethTake(MessageQueue queue, MemorySource source)
    {
        var messages = Enumerable.Range(1, 30).Select(i => Message(i, new string('y', i))).ToList();
        foreach (var message in messages)
        {
            queue.Enqueue(message);
        }

        var takes = 0;
        source.AfterTake = () =>
        {
            if (++takes == 20)
            {
                throw new InvalidOperationException("fault in a read");
            }
        };

        var read = () => source.Read([], 30);
        read.Should().Throw<InvalidOperationException>();
        return (messages.Take(20).Select(m => new WeakReference(m)).ToList(), messages.Skip(20).Sum(m => (long)MessageSize.EstimateJson(m)));
    }

    [Fact]
    public void Delivered_ARequestsTally_CountsAndReleasesAsOneByOneWould()
    {
        var (counters, queue, source, settler) = NewSource();
        queue.Enqueue(Message(1, "Pune"));
        queue.Enqueue(new UserMessage(MessageType.Update, 2, DateTimeOffset.UnixEpoch, "anon", "user-1", [new UserAttribute("city", "Delhi")], calls: 3));
        queue.Enqueue(Message(3, "Goa"));
        var read = new List<Envelope>();
        source.Read(read, 3).Should().Be(3);
        settler.Dropped(read[2], DropReason.OptedOut);
        var tally = default(DeliveredTally);

        foreach (var envelope in read)
        {
            envelope.TryStartSending();
            Settler.DeliveredLater(envelope, ref tally).Should().Be(envelope != read[2], "a message settled before is not counted again");
        }

        (tally.Messages, tally.Calls, tally.EstimatedBytes).Should().Be((2L, 4L, (long)(read[0].EstimatedBytes + read[1].EstimatedBytes)));
        counters.Delivered.Should().Be(0, "counted with the rest of the request");
        queue.PendingCalls.Should().Be(4);

        settler.Delivered(source, tally);
        counters.Delivered.Should().Be(4);
        counters.GetDropped(DropReason.OptedOut).Should().Be(1);
        (queue.Count, queue.EstimatedBytes, queue.PendingCalls).Should().Be((0L, 0L, 0L));
    }

    [Fact]
    public void Reuse_BeyondTheQueueSize_KeepsNoMoreSparesThanTheQueueCanHoldMessages()
    {
        var (_, _, source, _) = NewSource(maxQueueSize: 10_000);
        source.Reuse(Enumerable.Range(0, 12_000).Select(_ => new Envelope(Message(0, "Pune"), source, null, 0)).ToList());
        source.SpareCount.Should().Be(10_000);

        // Nothing was read: the first call only starts watching (every spare was needed before it), the second lets go.
        source.TrimUnused();
        source.SpareCount.Should().Be(10_000);
        source.TrimUnused();
        source.SpareCount.Should().Be(MemorySource.SparesKeptWhenQuiet);
    }

    [Fact]
    public void TrimUnused_SparesTakenSinceTheLastCall_KeepsAsManyAsWereNeededAtOnce()
    {
        var (_, queue, source, _) = NewSource();
        source.Reuse(Enumerable.Range(0, 40_000).Select(_ => new Envelope(Message(0, "Pune"), source, null, 0)).ToList());
        source.TrimUnused();

        // 30,000 read at once and given back: only the 10,000 never taken meanwhile were not needed.
        for (var n = 0; n < 30_000; n++)
        {
            queue.Enqueue(Message(n, "Pune"));
        }

        var read = new List<Envelope>();
        source.Read(read, 30_000).Should().Be(30_000);
        source.SpareCount.Should().Be(10_000);
        source.Reuse(read);
        source.TrimUnused();
        source.SpareCount.Should().Be(30_000);
        source.EnvelopesMade.Should().Be(0);
    }

    [Fact]
    public void HasSparesToTrim_WhileThePoolKeepsMoreMessagesThanWhenQuiet_UntilTrimmed()
    {
        var pool = new MessagePool();
        var counters = new DeliveryCounters();
        var options = new GrowlyticsOptions { TimeProvider = new FakeTimeProvider() };
        var queue = new MessageQueue(options, 100, 500_000, counters, new WakeSignal(), NullLogger.Instance);
        var source = new MemorySource(queue, 100_000, pool);
        source.HasSparesToTrim.Should().BeFalse();

        // Delivered messages of a burst come back with their envelopes (fewer envelopes than the spares kept when quiet).
        var delivered = Enumerable.Range(0, MessagePool.KeptWhenQuiet + 1_000)
            .Select(i => new Envelope(pool.Rent(MessageType.Update, i, DateTimeOffset.UnixEpoch, "anon", null, [new UserAttribute("city", "Pune")]), source, null, 0))
            .ToList();
        source.Reuse(delivered.Take(1_000).ToList());
        pool.KeptMessages.Should().Be(1_000);
        source.HasSparesToTrim.Should().BeFalse();
        foreach (var envelope in delivered.Skip(1_000))
        {
            pool.Return(envelope.Message);
        }

        source.HasSparesToTrim.Should().BeTrue("the pool keeps more than it keeps when quiet");
        source.TrimUnused();
        source.TrimUnused();
        source.HasSparesToTrim.Should().BeFalse();
        pool.KeptMessages.Should().BeInRange(MessagePool.KeptWhenQuiet, MessagePool.KeptWhenQuiet + MessagePool.ChunkSize);
    }

    private static Envelope ReadOne(MemorySource source)
    {
        var read = new List<Envelope>();
        source.Read(read, 1).Should().Be(1);
        return read[0];
    }

    private static (DeliveryCounters Counters, MessageQueue Queue, MemorySource Source, Settler Settler) NewSource(int maxQueueSize = 100_000)
    {
        var counters = new DeliveryCounters();
        var options = new GrowlyticsOptions { TimeProvider = new FakeTimeProvider() };
        var queue = new MessageQueue(options, 100, 500_000, counters, new WakeSignal(), NullLogger.Instance);
        return (counters, queue, new MemorySource(queue, maxQueueSize, new MessagePool()), new Settler(counters, reports: null));
    }

    private static UserMessage Message(long id, string city) =>
        new(MessageType.Update, id, DateTimeOffset.UnixEpoch, "anon", null, [new UserAttribute("city", city)]);
}
