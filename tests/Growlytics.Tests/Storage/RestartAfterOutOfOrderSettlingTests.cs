namespace GrowlyticsSdk.Tests.Storage;

/// <summary>
/// A shutdown while one stored message is still refused, every later one delivered: the acknowledged position cannot
/// pass the refused message, but the records settled after it are saved as settled, so the next start sends only it.
/// </summary>
public sealed class RestartAfterOutOfOrderSettlingTests : StorageTestBase
{
    private const int Count = 200;
    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(100);

    [Fact]
    public async Task Shutdown_WithAnOlderMessageRefused_NextStartSendsOnlyThatMessage()
    {
        var refusing = new StorageCollector { Up = true, Refuse = numbers => numbers.Contains(0) };
        var first = NewClient(refusing);

        // One customer each: the refused message's partition is blocked, every other one is delivered.
        UpdateCustomerNumbers(first, 0, Count);
        await StoredAsync(first);
        await DriveUntilAsync(
            () => first.Statistics.Delivered == Count - 1,
            Step,
            () => $"delivered {first.Statistics.Delivered}, pending {first.Statistics.Pending}");
        first.Statistics.Pending.Should().Be(1);
        refusing.Numbers.Should().NotContain(0L);

        var released = first.DisposeAsync().AsTask();
        await DriveUntilAsync(() => released.IsCompleted, Step);
        await released;
        first.Statistics.Dropped.Should().Be(0, "the refused message stays stored for the next start");

        var collector = new StorageCollector { Up = true };
        await using var second = NewClient(collector);
        await DriveUntilAsync(() => second.Statistics.Delivered >= 1, Step);
        await second.FlushAsync();

        second.Statistics.Restored.Should().Be(1, "the records settled after the refused one were saved as settled");
        collector.Numbers.Should().Equal(0L);
        collector.Messages.Should().ContainSingle("no message the service took is sent again");
        second.Statistics.Dropped.Should().Be(0);
        ShouldBeBalanced(second.Statistics);
    }

    [Fact]
    public async Task LongWaitForOneRefusedMessage_DeliveredOnesAfterIt_DoNotFillTheBound()
    {
        // 64 KB: 4 KB segments, about 48 KB for them. 1,500 updates of some 220 bytes each (330 KB) pass through the folder
        // while the first one is refused: the segments delivered after it are deleted, so nothing is dropped for the bound.
        var refusing = new StorageCollector { Up = true, Refuse = numbers => numbers.Contains(0) };
        await using var client = NewClient(refusing, o => o.MaxStorageBytes = 64 * 1024);

        // Customers that share the refused one's partition would wait behind it: left out, so every other one is delivered.
        var partitions = new GrowlyticsSdk.Delivery.PartitionSet(GrowlyticsSdk.Delivery.PartitionSet.MinimumCount);
        var refusedPartition = partitions.PartitionOf("customer-0");
        var others = Enumerable.Range(1, 4_000).Where(n => partitions.PartitionOf("customer-" + n) != refusedPartition).ToList();
        client.Customers.Update("customer-0", new Dictionary<string, object?> { ["n"] = 0 });

        const int Chunk = 50;
        for (var from = 0; from < 30 * Chunk; from += Chunk)
        {
            foreach (var n in others.Skip(from == 0 ? 0 : from - 1).Take(from == 0 ? Chunk - 1 : Chunk))
            {
                client.Customers.Update("customer-" + n, new Dictionary<string, object?> { ["n"] = n });
            }

            await StoredAsync(client);
            var expected = from + Chunk - 1;
            await DriveUntilAsync(
                () => client.Statistics.Delivered == expected,
                Step,
                () => $"delivered {client.Statistics.Delivered} of {expected}, dropped {Drops(client)}");
            FolderBytes().Should().BeLessThanOrEqualTo(64 * 1024);
        }

        client.Statistics.Dropped.Should().Be(0, "the delivered messages' segments are deleted, not the waiting one's ({0})", Drops(client));
        client.Statistics.Pending.Should().Be(1);
        refusing.Numbers.Should().HaveCount((30 * Chunk) - 1).And.NotContain(0L);
        ShouldBeBalanced(client.Statistics);
    }

    private static string Drops(GrowlyticsClient client) =>
        string.Join(", ", client.Statistics.DroppedByReason.Where(d => d.Value > 0).Select(d => $"{d.Key} {d.Value}"));
}
