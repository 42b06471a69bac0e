using GrowlyticsSdk.Delivery;
using GrowlyticsSdk.Messages;

namespace GrowlyticsSdk.Tests.Delivery;

public sealed class PartitionSetTests
{
    [Fact]
    public void PartitionOf_SameKey_SamePartitionEveryTime()
    {
        var set = new PartitionSet(256);
        var other = new PartitionSet(256);

        set.PartitionOf("anon-a").Should().Be(other.PartitionOf("anon-a"));
        Enumerable.Range(0, 1000).Select(i => set.PartitionOf("user-" + i)).Distinct().Count().Should().BeGreaterThan(200, "keys spread over the partitions");
    }

    [Fact]
    public void TryTakeReady_BlockedPartition_SkippedUntilUnblocked()
    {
        var set = new PartitionSet(4);
        var a = Add(set, 0, "a1");
        Add(set, 0, "a2");
        Add(set, 1, "b1");

        set.TryTakeReady(out var first).Should().BeTrue();
        first.Should().Be(0);
        set.Dequeue(0).Should().BeSameAs(a);
        set.Block(0);
        set.ReadyCount.Should().Be(1, "a2 waits behind a1's request");

        set.TryTakeReady(out var second).Should().BeTrue();
        second.Should().Be(1);
        set.TryTakeReady(out _).Should().BeFalse("partition 0 is blocked and partition 1 was taken");

        set.Unblock(0);
        set.ReadyCount.Should().Be(2);
        set.TryTakeReady(out var third).Should().BeTrue();
        third.Should().Be(0);
        set.Peek(0)!.Message.AnonymousId.Should().Be("a2");
    }

    [Fact]
    public void ReturnToFront_KeptMessages_GoBeforeLaterOnes()
    {
        var set = new PartitionSet(4);
        var a1 = Add(set, 2, "a1");
        var a2 = Add(set, 2, "a2");
        Add(set, 2, "a3");
        set.TryTakeReady(out _);
        set.Dequeue(2);
        set.Dequeue(2);
        set.Block(2);

        set.ReturnToFront(2, [a1, a2]);
        set.Unblock(2);

        set.Dequeue(2).Should().BeSameAs(a1);
        set.Dequeue(2).Should().BeSameAs(a2);
        set.Dequeue(2).Message.AnonymousId.Should().Be("a3");
        set.Count.Should().Be(0);
        set.ReadyCount.Should().Be(0);
    }

    [Fact]
    public void ReadyBytes_ThroughBlockDequeueReturnAndUnblock_CountsOnlyReadyPartitions()
    {
        var set = new PartitionSet(4);
        var a1 = Add(set, 0, "a1", jsonBytes: 10);
        Add(set, 0, "a2", jsonBytes: 20);
        Add(set, 1, "b1", jsonBytes: 300);
        set.ReadyBytes.Should().Be(330);

        set.Dequeue(0).Should().BeSameAs(a1);
        set.Block(0);
        set.ReadyBytes.Should().Be(300, "a2 (20) waits in a blocked partition and a1 (10) left");

        set.ReturnToFront(0, [a1]);
        set.ReadyBytes.Should().Be(300, "a kept message goes back to a partition that is still blocked");
        set.Unblock(0);
        set.ReadyBytes.Should().Be(330);

        set.Block(1);
        set.ReadyBytes.Should().Be(30);
        set.DrainAll([]);
        set.ReadyBytes.Should().Be(0);
        set.Unblock(1);
        set.ReadyBytes.Should().Be(0, "a drained partition holds nothing when it is unblocked");
    }

    [Fact]
    public void TrimUnused_EmptyList_LetGoAtTheSecondTrimAfterItsLastMessage()
    {
        var set = new PartitionSet(4);
        Add(set, 1, "a1");
        Add(set, 2, "b1");
        set.ListCount.Should().Be(2);
        set.Dequeue(1);

        set.TrimUnused();
        set.ListCount.Should().Be(2, "partition 1 took a message since the last trim, and partition 2 still holds one");
        set.Messages(1).Should().NotBeNull();

        set.TrimUnused();
        set.ListCount.Should().Be(1, "partition 1 is empty and took nothing for a whole trim interval");
        set.Messages(1).Should().BeNull();
        set.CountOf(1).Should().Be(0);
        set.Peek(1).Should().BeNull();

        set.TrimUnused();
        set.Messages(2).Should().NotBeNull("a list that holds a message is never let go");
        set.Peek(2)!.Message.AnonymousId.Should().Be("b1");
    }

    [Fact]
    public void TrimUnused_ListUsedBetweenTrims_IsKept_AndALetGoPartitionTakesMessagesAgainInOrder()
    {
        var set = new PartitionSet(4);
        Add(set, 3, "a1");
        set.Dequeue(3);
        set.TrimUnused();

        // Used again, emptied again: still in use, kept.
        Add(set, 3, "a2");
        set.Dequeue(3);
        set.TrimUnused();
        set.ListCount.Should().Be(1);

        set.TrimUnused();
        set.ListCount.Should().Be(0);

        // A blocked partition whose list was let go takes kept messages back in front, then new ones behind them.
        set.Block(3);
        var k1 = new Envelope(new UserMessage(MessageType.Update, 1, DateTimeOffset.UnixEpoch, "k1", null, []), NoSource.Instance, null, 100) { Partition = 3 };
        var k2 = new Envelope(new UserMessage(MessageType.Update, 1, DateTimeOffset.UnixEpoch, "k2", null, []), NoSource.Instance, null, 100) { Partition = 3 };
        set.ReturnToFront(3, [k1, k2]);
        Add(set, 3, "a3");
        set.ListCount.Should().Be(1);
        set.Unblock(3);
        set.TryTakeReady(out var ready).Should().BeTrue();
        ready.Should().Be(3);
        set.Dequeue(3).Should().BeSameAs(k1);
        set.Dequeue(3).Should().BeSameAs(k2);
        set.Dequeue(3).Message.AnonymousId.Should().Be("a3");
        set.Count.Should().Be(0);
        set.ReadyCount.Should().Be(0);
    }

    [Fact]
    public void SendableCount_CountsEachReadyPartitionUpToOneRequest()
    {
        // Requests of 3: a partition's backlog beyond its next request fills no other slot.
        var set = new PartitionSet(4, perRequest: 3);
        var a = Enumerable.Range(0, 5).Select(i => AddStored(set, 0, "a" + i)).ToList();
        Add(set, 1, "b0");
        set.ReadyCount.Should().Be(6);
        set.SendableCount.Should().Be(4);

        set.Dequeue(0);
        set.Dequeue(0);
        set.SendableCount.Should().Be(4, "three of a's messages are left");
        set.Dequeue(0);
        set.SendableCount.Should().Be(3);

        set.Block(0);
        set.SendableCount.Should().Be(1, "a blocked partition counts nothing");
        set.ReturnToFront(0, [a[0], a[1], a[2]]);
        set.SendableCount.Should().Be(1);
        set.Unblock(0);
        set.SendableCount.Should().Be(4);

        set.Dequeue(0);
        set.ReturnToFront(0, [a[0]]);
        set.SendableCount.Should().Be(4);

        a[3].DropUnlessSending(DropReason.StorageFull, out _).Should().BeTrue();
        a[4].DropUnlessSending(DropReason.StorageFull, out _).Should().BeTrue();
        a[2].DropUnlessSending(DropReason.StorageFull, out _).Should().BeTrue();
        set.RemoveSettled([]);
        set.ReadyCount.Should().Be(3);
        set.SendableCount.Should().Be(3, "a keeps two messages");

        set.DrainAll([]);
        set.SendableCount.Should().Be(0);
    }

    // A stored message's envelope (one storage may drop while it is staged).
    private static Envelope AddStored(PartitionSet set, int partition, string id)
    {
        var message = new UserMessage(MessageType.Update, 1, DateTimeOffset.UnixEpoch, id, null, []);
        var envelope = new Envelope(message, NoSource.Instance, new object(), 100) { Partition = partition };
        set.Add(envelope);
        return envelope;
    }

    private static Envelope Add(PartitionSet set, int partition, string id, int jsonBytes = 0)
    {
        var message = new UserMessage(MessageType.Update, 1, DateTimeOffset.UnixEpoch, id, null, []);
        var envelope = new Envelope(message, NoSource.Instance, null, 100) { Partition = partition, JsonBytes = jsonBytes };
        set.Add(envelope);
        return envelope;
    }

    private sealed class NoSource : IMessageSource
    {
        public static readonly NoSource Instance = new();

        public long Pending => 0;

        public long Settling => 0;

        public long FlushCount => 0;

        public bool WaitsForOldest => false;

        public int Read(List<Envelope> into, int maxCount) => 0;

        public void Settled(Envelope envelope)
        {
        }

        public void Dropped(Envelope envelope, DropReason reason)
        {
        }
    }
}
