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
}
