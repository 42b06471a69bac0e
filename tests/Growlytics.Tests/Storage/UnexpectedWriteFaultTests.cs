using GrowlyticsSdk.Storage;

namespace GrowlyticsSdk.Tests.Storage;

/// <summary>
/// A write that fails with something other than an I/O error (a fault nobody foresaw) is handled like a failing disk:
/// the messages the writer held go back to memory and are delivered from there, flushes do not wait for them forever,
/// and the disk is tried again later.
/// </summary>
public sealed class UnexpectedWriteFaultTests : StorageTestBase
{
    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(200);

    [Fact]
    public async Task WriteThrowsANonIOException_MessagesAreDeliveredFromMemory_AndTheDiskIsUsedAgainLater()
    {
        var collector = new StorageCollector { Up = true };
        var failing = 1;
        var logs = new RecordingLoggerFactory();
        await using var client = NewClient(collector, o =>
        {
            o.FlushInterval = TimeSpan.FromHours(1);
            o.LoggerFactory = logs;
            o.StorageWriteFault = () => Volatile.Read(ref failing) == 1 ? new InvalidOperationException("unforeseen") : null;
        });

        PushNumbers(client, 0, 5);
        var flush = client.FlushAsync();
        await DriveUntilAsync(() => flush.IsCompleted && client.Statistics.Delivered == 5, Step);

        client.Statistics.Delivered.Should().Be(5, "the messages the failed write held go back to memory and are sent from there");
        client.Statistics.Dropped.Should().Be(0);
        collector.Numbers.Should().BeEquivalentTo([0L, 1L, 2L, 3L, 4L]);
        SegmentFiles().Should().BeEmpty("no segment holds a record the failed write left behind");
        logs.Entries.Count(e => e.EventId == 4006).Should().Be(1, "the failure is logged once, as a failing write");
        logs.Entries.Count(e => e.EventId == 4010).Should().Be(1, "with its stack, as it may be a defect");

        // The fault goes away: past the retry interval the writer uses the disk again. Until it does, the delivery loop
        // may take new messages from memory itself, so messages are pushed until the writer has one to write.
        Volatile.Write(ref failing, 0);
        Time.Advance(DurableQueue.DiskRetryInterval + TimeSpan.FromSeconds(1));
        var pushed = 5;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!logs.Entries.Any(e => e.EventId == 4013))
        {
            DateTime.UtcNow.Should().BeBefore(deadline, "the writer tries the disk again and says it works");
            PushNumbers(client, pushed++, 1);
            Time.Advance(Step);
            await Task.Delay(5);
        }

        flush = client.FlushAsync();
        await DriveUntilAsync(() => flush.IsCompleted && client.Statistics.Delivered == pushed, Step);

        client.Statistics.Dropped.Should().Be(0);
        collector.Numbers.Should().BeEquivalentTo(Enumerable.Range(0, pushed).Select(n => (long)n));
        ShouldBeBalanced(client.Statistics);
    }
}
