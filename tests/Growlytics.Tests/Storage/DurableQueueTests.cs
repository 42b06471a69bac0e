using GrowlyticsSdk.Storage;

namespace GrowlyticsSdk.Tests.Storage;

public sealed class DurableQueueTests : StorageTestBase
{
    [Fact]
    public async Task Restart_WithMessagesLeftInStorage_DeliversThemAfterRestart()
    {
        var collector = new StorageCollector();
        await using (var first = NewClient(collector))
        {
            PushNumbers(first, 0, 10);
            await first.FlushAsync();
            await first.ShutdownAsync();
            first.Statistics.Pending.Should().Be(10);
            first.Statistics.Dropped.Should().Be(0);
        }

        collector.Up = true;
        var second = NewClient(collector);
        await DriveUntilAsync(() => collector.Messages.Count >= 10, TimeSpan.FromSeconds(1));
        await second.ShutdownAsync();

        collector.Numbers.Should().BeEquivalentTo(Enumerable.Range(0, 10));
        second.Statistics.Restored.Should().Be(10);
        second.Statistics.Delivered.Should().Be(10);
        ShouldBeBalanced(second.Statistics);
        await using var third = NewClient(collector);
        await third.ShutdownAsync();
        third.Statistics.Restored.Should().Be(0, "delivered messages are removed from storage");
    }

    [Fact]
    public async Task FlushAsync_WithStorageAndCollectorDown_ReturnsOnceMessagesAreOnDisk()
    {
        var collector = new StorageCollector();
        await using var client = NewClient(collector);
        PushNumbers(client, 0, 5_000);

        await client.FlushAsync();

        SegmentLoader.Load(Directory, long.MaxValue).Segments.Sum(s => s.Pending).Should().Be(5_000);
    }

    [Fact]
    public async Task Outage_LongerThanRetryBudget_DropsNothingAndDeliversWhenBack()
    {
        var collector = new StorageCollector();
        await using var client = NewClient(collector, o =>
        {
            o.MaxRetryAttempts = 2;
            o.RetryBaseDelay = TimeSpan.FromSeconds(1);
            o.RetryBudget = TimeSpan.FromSeconds(10);
            o.RequestTimeout = TimeSpan.FromSeconds(10);
        });
        PushNumbers(client, 0, 250);
        await StoredAsync(client);

        // At least ten minutes of outage: many rounds of failed attempts, each one exhausting its retries.
        var outageEnds = Time.GetUtcNow() + TimeSpan.FromMinutes(10);
        await DriveUntilAsync(() => Time.GetUtcNow() >= outageEnds && Volatile.Read(ref collector.Attempts) > 3, TimeSpan.FromSeconds(31));

        collector.Attempts.Should().BeGreaterThan(3);
        client.Statistics.Retried.Should().BeGreaterThan(0);
        client.Statistics.Dropped.Should().Be(0);
        client.Statistics.DroppedByReason[DropReason.RetriesExhausted].Should().Be(0);
        client.Statistics.Pending.Should().Be(250);

        collector.Up = true;
        await DriveUntilAsync(() => collector.Messages.Count >= 250, TimeSpan.FromSeconds(6));

        collector.Numbers.Should().BeEquivalentTo(Enumerable.Range(0, 250));
        client.Statistics.Delivered.Should().Be(250);
        client.Statistics.Pending.Should().Be(0);
        ShouldBeBalanced(client.Statistics);
    }

    [Fact]
    public async Task SizeLimit_Exceeded_DropsTheOldestAndCountsThem()
    {
        var collector = new StorageCollector();
        GrowlyticsStatistics before;
        await using (var first = NewClient(collector, o => o.MaxStorageBytes = 64 * 1024))
        {
            for (var i = 0; i < 20; i++)
            {
                PushNumbers(first, i * 100, 100);
                await first.FlushAsync();
            }

            await first.ShutdownAsync();
            before = first.Statistics;
        }

        before.DroppedByReason[DropReason.StorageFull].Should().BeGreaterThan(0);
        (before.Pending + before.DroppedByReason[DropReason.StorageFull]).Should().Be(2000);
        SegmentFiles().Sum(f => StorageLimits.LengthOrZero(new FileInfo(f))).Should().BeLessThanOrEqualTo((64 + 4) * 1024);

        collector.Up = true;
        var second = NewClient(collector, o => o.MaxStorageBytes = 64 * 1024);
        await second.ShutdownAsync();

        var oldestKept = 2000 - (int)before.Pending;
        collector.Numbers.Should().BeEquivalentTo(Enumerable.Range(oldestKept, (int)before.Pending), "the oldest were dropped, the newest kept");
    }

    [Fact]
    public async Task AgeLimit_Exceeded_DropsExpiredMessagesAndCountsThem()
    {
        var collector = new StorageCollector();
        long expired;
        await using (var first = NewClient(collector))
        {
            PushNumbers(first, 0, 10);
            await first.FlushAsync();
            Time.Advance(TimeSpan.FromDays(4));
            PushNumbers(first, 10, 5);
            await first.FlushAsync();
            await first.ShutdownAsync();
            expired = first.Statistics.DroppedByReason[DropReason.Expired];
            ShouldBeBalanced(first.Statistics);
        }

        collector.Up = true;
        var second = NewClient(collector);
        await second.ShutdownAsync();

        collector.Numbers.Should().BeEquivalentTo(Enumerable.Range(10, 5));
        (expired + second.Statistics.DroppedByReason[DropReason.Expired]).Should().Be(10);
    }

    [Fact]
    public async Task SecondInstance_NeverGettingTheFolder_ShutdownTotalsDoNotSayTheFolderKeepsAnything()
    {
        var collector = new StorageCollector { Up = false };
        var logs = new RecordingLoggerFactory();
        await using var first = NewClient(collector);
        var second = NewClient(collector, o =>
        {
            o.LoggerFactory = logs;
            o.ShutdownTimeout = TimeSpan.FromSeconds(1);
        });

        PushNumbers(second, 100, 3);
        await ShutDownDrivingAsync(second, TimeSpan.FromMilliseconds(100));

        second.Statistics.DroppedByReason.GetValueOrDefault(DropReason.Shutdown).Should().Be(3, "the folder stayed held: nothing was kept there");
        logs.Entries.Where(e => e.EventId == 2015).Should().ContainSingle()
            .Which.Message.Should().NotContain("storage folder", "this client never held the folder");
    }

    [Fact]
    public async Task SecondInstance_OnTheSameFolder_LogsAndKeepsItsQueueInMemory()
    {
        var collector = new StorageCollector { Up = true };
        var logs = new RecordingLoggerFactory();
        await using var first = NewClient(collector);
        await using (var second = NewClient(collector, o => o.LoggerFactory = logs))
        {
            PushNumbers(second, 100, 3);
            await second.FlushAsync();
            second.Statistics.Delivered.Should().Be(3, "in memory mode a flush waits for delivery");
        }

        logs.Entries.Should().Contain(e => e.EventId == 4001 && e.Message.Contains("keeps its queue in memory and takes the folder over", StringComparison.Ordinal));
        await first.ShutdownAsync();
        SegmentLoader.Load(Directory, long.MaxValue).Segments.Sum(s => s.Pending).Should().Be(0, "the second instance wrote nothing to the folder");
    }

    [Fact]
    [Trait("Requires", "net8")] // The netstandard2.0 build cannot set file modes (docs/security.md).
    public async Task SegmentFiles_OnUnix_AreReadableByTheCurrentUserOnly()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        await using var client = NewClient(new StorageCollector());
        PushNumbers(client, 0, 1);

        // The writer saves the acknowledged position after a commit, which a flush does not wait for (a busy machine
        // can finish the flush first); shutdown saves it before it returns.
        await client.ShutdownAsync();

        SegmentFiles().Should().NotBeEmpty();
        foreach (var file in SegmentFiles().Append(Path.Combine(Directory, AckFile.FileName)))
        {
            File.GetUnixFileMode(file).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
    }

    [Fact]
    public async Task StorageDirectoryNull_WritesNothing()
    {
        var collector = new StorageCollector { Up = true };
        await using var client = NewClient(collector, o => o.StorageDirectory = null);
        PushNumbers(client, 0, 3);

        await client.FlushAsync();

        collector.Messages.Should().HaveCount(3);
        System.IO.Directory.Exists(Directory).Should().BeFalse();
    }
}
