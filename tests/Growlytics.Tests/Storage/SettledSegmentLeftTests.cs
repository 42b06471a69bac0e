using GrowlyticsSdk.Storage;

namespace GrowlyticsSdk.Tests.Storage;

/// <summary>
/// After a disk failure in an outage, the service back and everything delivered, the segment written once the disk came
/// back (the one being written) stayed in the folder with all its records settled, also after the shutdown: on a small
/// disk it kept most of the space used until the next start, which deleted it and sent nothing. The README: "a segment
/// whose records are all settled is deleted at once".
/// </summary>
public sealed class SettledSegmentLeftTests : StorageTestBase
{
    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(200);

    private readonly StorageCollector _collector = new() { Up = false };
    private readonly RecordingLoggerFactory _logs = new();
    private int _diskFull;

    [Fact]
    public async Task DiskFailedAndCameBack_EverythingDelivered_NoSegmentIsLeftWhileRunningNorAfterShutdown()
    {
        var client = await AfterTheDiskCameBackAsync();
        try
        {
            _collector.Up = true;
            await DriveUntilAsync(() => client.Statistics is { Pending: 0, Delivered: 100 }, Step, () => $"pending {client.Statistics.Pending}, delivered {client.Statistics.Delivered}");

            // A few writer turns (each saves the position and deletes what is settled).
            for (var i = 0; i < 5; i++)
            {
                Time.Advance(Step);
                await Task.Delay(20);
            }

            SegmentFiles().Select(Path.GetFileName).Should().BeEmpty("every record stored is settled: a segment whose records are all settled is deleted at once");
        }
        finally
        {
            await ShutDownDrivingAsync(client, Step);
            await client.DisposeAsync();
        }

        SegmentFiles().Select(Path.GetFileName).Should().BeEmpty("nothing is left for the next start after a shutdown that delivered everything");
        _collector.Numbers.Should().BeEquivalentTo(Enumerable.Range(0, 100).Select(n => (long)n));

        var delivered = _collector.Messages.Count;
        await using var next = NewClient(_collector);
        await DriveUntilAsync(() => next.Durable!.IsOwner, Step);
        await next.FlushAsync();
        next.Statistics.Restored.Should().Be(0);
        _collector.Messages.Count.Should().Be(delivered, "nothing is sent again");
    }

    [Fact]
    public async Task EverythingDelivered_WithoutADiskFailure_NoSegmentIsLeftAfterShutdown()
    {
        var client = NewClient(_collector);
        try
        {
            UpdateCustomerNumbers(client, 0, 50);
            await StoredAsync(client);
            _collector.Up = true;
            await DriveUntilAsync(() => client.Statistics is { Pending: 0, Delivered: 50 }, Step);
        }
        finally
        {
            await ShutDownDrivingAsync(client, Step);
            await client.DisposeAsync();
        }

        SegmentFiles().Select(Path.GetFileName).Should().BeEmpty("the segment being written, all settled, is not kept for the next start");
    }

    [Fact]
    public async Task DiskFailedAndCameBack_ARecordOfTheLastSegmentNotSettled_ItsSegmentIsKeptForTheNextStart()
    {
        // 85 is in the segment written after the disk came back: the service refuses it, so it is never settled.
        _collector.Refuse = numbers => numbers.Contains(85);
        var client = await AfterTheDiskCameBackAsync();
        try
        {
            _collector.Up = true;
            await DriveUntilAsync(() => client.Statistics is { Delivered: 99 }, Step, () => $"pending {client.Statistics.Pending}, delivered {client.Statistics.Delivered}");
            for (var i = 0; i < 5; i++)
            {
                Time.Advance(Step);
                await Task.Delay(20);
            }

            SegmentFiles().Should().ContainSingle("the segment holding the record not settled stays");
        }
        finally
        {
            await ShutDownDrivingAsync(client, Step);
            await client.DisposeAsync();
        }

        client.Statistics.Pending.Should().Be(1);
        ShouldBeBalanced(client.Statistics);
        SegmentFiles().Should().ContainSingle();

        _collector.Refuse = null;
        await using var next = NewClient(_collector);
        await DriveUntilAsync(() => next.Statistics is { Restored: 1, Pending: 0 }, Step, () => $"restored {next.Statistics.Restored}, pending {next.Statistics.Pending}");
        _collector.Numbers.Should().BeEquivalentTo(Enumerable.Range(0, 100).Select(n => (long)n));
        _collector.Messages.Count(m => m.N == 85).Should().Be(1);
    }

    // 0-49 stored in an outage; the disk fills (50-69 go to memory); the disk has room again and 70-99 are stored in a
    // segment of their own (the one the disk failed on is written to no more). The collector is still down.
    private async Task<GrowlyticsClient> AfterTheDiskCameBackAsync()
    {
        var client = NewClient(_collector, o =>
        {
            o.StorageWriteFault = () => Volatile.Read(ref _diskFull) == 1 ? new IOException("No space left on device") : null;
            o.LoggerFactory = _logs;
        });

        UpdateCustomerNumbers(client, 0, 50);
        await StoredAsync(client);
        SegmentFiles().Should().ContainSingle();

        Volatile.Write(ref _diskFull, 1);
        UpdateCustomerNumbers(client, 50, 20);
        await DriveUntilAsync(() => _logs.Entries.Any(e => e.EventId == 4006), Step);

        Volatile.Write(ref _diskFull, 0);
        Time.Advance(DurableQueue.DiskRetryInterval + TimeSpan.FromSeconds(1));
        UpdateCustomerNumbers(client, 70, 30);
        await DriveUntilAsync(() => _logs.Entries.Any(e => e.EventId == 4013), Step);
        await StoredAsync(client);
        SegmentFiles().Should().HaveCount(2, "the records after the failure went to a new segment");
        return client;
    }
}
