using System.Diagnostics;
using GrowlyticsSdk.Storage;
using static GrowlyticsSdk.IntegrationTests.TestSupport;

namespace GrowlyticsSdk.IntegrationTests.Storage;

/// <summary>A full or failing disk (through the internal write-fault seam) and the storage bound, against the real collector.</summary>
[Collection(EngineCollection.Name)]
public sealed class StorageFaultTests
{
    private const int DiskFullEvent = 4006;

    [Fact]
    public async Task Send_DiskFullFromTheStartServiceHealthy_AllDeliveredFromMemoryNoEmptySegmentsFaultLoggedOnce()
    {
        const int total = 2_500;
        using var folder = new TempFolder();
        var logs = new RecordingLoggerFactory();
        await using var collector = await FaultyCollector.StartAsync();
        var options = FastOptions(collector.Endpoint);
        options.StorageDirectory = folder.Sub("storage");
        options.LoggerFactory = logs;
        options.StorageCommitInterval = TimeSpan.FromMilliseconds(20);
        options.StorageWriteFault = () => NoSpace();
        await using var client = new GrowlyticsClient(options);

        // In rounds, so the writer meets the full disk over many commits.
        for (var round = 0; round < 25; round++)
        {
            for (var i = 0; i < total / 25; i++)
            {
                client.User.Push(Number((round * (total / 25)) + i));
            }

            await FlushAsync(client);
            await Task.Delay(20);
        }

        await EventuallyAsync(() => client.Statistics is { Pending: 0, Delivered: total }, "everything was delivered from memory");

        collector.ShouldHaveDeliveredExactly(client, total);
        SegmentsWithoutRecords(options.StorageDirectory).Should().BeEmpty("a segment whose writes failed is not left behind");
        logs.Count(DiskFullEvent).Should().BeInRange(1, 2, "the failing disk is reported, not once per commit");
    }

    [Fact]
    public async Task Flush_WhileTheDiskFails_ReturnsOnceWhatTheWriterHandedBackIsDeliveredToo()
    {
        const int total = 200;
        using var folder = new TempFolder();
        await using var collector = await FaultyCollector.StartAsync();

        // Each answer takes a while, so a flush that returned too early would find messages still pending.
        collector.Script = _ => Fault.Delayed(TimeSpan.FromMilliseconds(200));
        var options = FastOptions(collector.Endpoint);
        options.StorageDirectory = folder.Sub("storage");
        options.StorageWriteFault = () => NoSpace();
        await using var client = new GrowlyticsClient(options);

        // The first flush meets the full disk: it returns once the write failed, and the messages go back to memory.
        Push(client, 0, total);
        await FlushAsync(client);

        // Now the disk is known to fail: a flush waits for delivery, the messages handed back included.
        Push(client, total, total);
        await FlushAsync(client);

        var stats = client.Statistics;
        (stats.Pending, stats.Delivered, stats.Dropped).Should().Be((0L, 2L * total, 0L), "a flush while the disk fails waits for delivery from memory");
        collector.ShouldHaveDeliveredExactly(client, 2 * total);
    }

    [Fact]
    public async Task Send_ServiceDownAndDiskFailingThenBothBack_DeliveryResumesWithinBreakPlusRetryDelayAndBalances()
    {
        using var folder = new TempFolder();
        var logs = new RecordingLoggerFactory();
        await using var collector = await FaultyCollector.StartAsync();
        await collector.StopAsync();
        var diskFull = false;
        var options = FastOptions(collector.Endpoint);
        options.StorageDirectory = folder.Sub("storage");
        options.LoggerFactory = logs;
        options.CircuitBreakDuration = TimeSpan.FromSeconds(1);
        options.MaxRetryDelay = TimeSpan.FromMilliseconds(500);
        options.StorageWriteFault = () => Volatile.Read(ref diskFull) ? NoSpace() : null;
        await using var client = new GrowlyticsClient(options);

        // Service down, disk fine: stored. Then the disk fills: memory holds the rest.
        Push(client, 0, 500);
        await StoredAsync(client);
        Volatile.Write(ref diskFull, true);
        Push(client, 500, 500);
        await StoredAsync(client);
        await EventuallyAsync(() => logs.Count(DiskFullEvent) > 0 && client.Statistics.Retried > 20, "the disk failed and requests kept failing");
        client.Statistics.Delivered.Should().Be(0);

        Volatile.Write(ref diskFull, false);
        await collector.RestartAsync();
        var back = Stopwatch.StartNew();
        await EventuallyAsync(() => collector.AcknowledgedBatches > 0, "delivery resumed");
        back.Stop();
        Push(client, 1_000, 200);
        await FlushAsync(client);
        await EventuallyAsync(() => client.Statistics.Pending == 0, "everything was settled");

        // The breaker lets a probe through after CircuitBreakDuration, and no retry waits longer than MaxRetryDelay;
        // 3 s on top is the margin for a loaded machine (an engine that never resumes takes forever).
        back.Elapsed.Should().BeLessThan(options.CircuitBreakDuration + options.MaxRetryDelay + TimeSpan.FromSeconds(3));
        var statistics = client.Statistics;
        statistics.ShouldBeSettledAndBalanced();
        statistics.Enqueued.Should().Be(1_200);
        statistics.Delivered.Should().Be(collector.Acknowledged.Count, "the client counts what the collector acknowledged");
        statistics.Delivered.Should().Be(1_200, "nothing had to be dropped: the disk and memory held it all");
        collector.Acknowledged.Values.Should().OnlyContain(n => n == 1);
        logs.Count(DiskFullEvent).Should().BeInRange(1, 2, "the failing disk is reported, not once per commit");
    }

    [Fact]
    public async Task Send_64KBStorageBoundSlowFailingCollector_FolderNeverAboveBoundEachMessageDeliveredOrDroppedOnce()
    {
        const long bound = 64 * 1024;
        using var folder = new TempFolder();
        await using var collector = await FaultyCollector.StartAsync();
        var failing = true;
        collector.Script = r => !Volatile.Read(ref failing) ? Fault.None
            : r.Number % 3 == 0 ? Fault.Delayed(TimeSpan.FromMilliseconds(100)) : Fault.Http(503);
        var options = FastOptions(collector.Endpoint);
        options.StorageDirectory = folder.Sub("storage");
        options.MaxStorageBytes = bound;
        options.RequestTimeout = TimeSpan.FromSeconds(10);
        await using var client = new GrowlyticsClient(options);
        using var stop = new CancellationTokenSource();
        long largest = 0;
        var samples = 0;
        var sampler = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                largest = Math.Max(largest, FolderBytes(options.StorageDirectory));
                samples++;
                await Task.Delay(1);
            }
        });

        try
        {
            for (var round = 0; round < 40; round++)
            {
                Push(client, round * 500, 500);
                await FlushAsync(client);
            }

            await EventuallyAsync(() => client.Statistics.DroppedByReason[DropReason.StorageFull] > 0, "the bound made storage drop the oldest");
            Volatile.Write(ref failing, false);
            await EventuallyAsync(() => client.Statistics.Pending == 0, "everything was settled");
        }
        finally
        {
            await stop.CancelAsync();
            await sampler;
        }

        samples.Should().BeGreaterThan(10);
        largest.Should().BeLessThanOrEqualTo(bound, "MaxStorageBytes holds at all times, batches in flight or not");
        var statistics = client.Statistics;
        statistics.ShouldBeSettledAndBalanced();
        statistics.Enqueued.Should().Be(20_000);
        statistics.Dropped.Should().Be(statistics.DroppedByReason[DropReason.StorageFull], "the bound is the only reason to drop here");
        collector.Acknowledged.Count.Should().Be((int)statistics.Delivered, "no message is both delivered and counted dropped");
        collector.Acknowledged.Values.Should().OnlyContain(n => n == 1);
    }

    private static IOException NoSpace() => new("No space left on device");

    private static void Push(GrowlyticsClient client, int from, int count)
    {
        for (var i = from; i < from + count; i++)
        {
            client.User.Push(Number(i));
        }
    }

    private static List<string> SegmentsWithoutRecords(string directory) =>
        Directory.Exists(directory)
            ? Directory.GetFiles(directory, SegmentLoader.FilePrefix + "*" + SegmentLoader.FileExtension).Where(f => new FileInfo(f).Length <= RecordFormat.SegmentHeaderSize).Select(f => Path.GetFileName(f)).ToList()
            : [];

    private static long FolderBytes(string directory)
    {
        long total = 0;
        foreach (var file in new DirectoryInfo(directory).Exists ? new DirectoryInfo(directory).EnumerateFiles() : [])
        {
            try
            {
                file.Refresh();
                total += file.Length;
            }
            catch (FileNotFoundException)
            {
                // Deleted between the listing and the size: it takes no room.
            }
        }

        return total;
    }
}
