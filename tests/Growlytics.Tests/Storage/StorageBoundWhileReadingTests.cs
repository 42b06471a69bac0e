namespace GrowlyticsSdk.Tests.Storage;

/// <summary>
/// The size bound dropping stored records that the dispatcher has just read, before it attached their messages to them:
/// each is counted once, as dropped, and never sent.
/// </summary>
public sealed class StorageBoundWhileReadingTests : StorageTestBase
{
    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(200);

    [Fact]
    public async Task SizeLimit_DropsRecordsBetweenTheirReadingAndTheirMessages_CountsThemDroppedAndShutdownStaysBalanced()
    {
        var collector = new StorageCollector();
        // The first read with records waits, holding the records it took, while the test makes the bound drop them. It
        // is held on a pool thread: the delivery loop can read when its flush timer fires, and with the fake clock's own
        // timers that ran inside the test's Advance, holding the test until the hook gave up (30 s).
        using var read = new HeldFirstRead();
        var client = NewClient(collector, o =>
        {
            o.MaxStorageBytes = 64 * 1024;
            read.Apply(o, Time);
        });
        try
        {
            PushNumbers(client, 0, 50);
            await DriveUntilAsync(() => read.IsHeld, Step);
            var readSegment = SegmentFiles().First();

            // More than the bound holds: the oldest segment, with the records being read, is dropped to make room.
            var next = await PushRoundsUntilAsync(client, 50, 50, () => !File.Exists(readSegment), Step);
            read.Release();

            await client.ShutdownAsync();
            var statistics = client.Statistics;
            statistics.Enqueued.Should().Be(next);
            statistics.Enqueued.Should().Be(statistics.Delivered + statistics.Dropped + statistics.Pending, "every call is counted once: delivered, dropped or still stored");
            statistics.DroppedByReason[DropReason.StorageFull].Should().BeGreaterThan(0);
            collector.Numbers.Should().NotContain(0, "the oldest record was dropped by the bound, not sent");
        }
        finally
        {
            read.Release();
            await client.DisposeAsync();
        }
    }
}
