using System.Diagnostics;
using GrowlyticsSdk.Storage;

namespace GrowlyticsSdk.Tests.Storage;

/// <summary>
/// A real full disk (a 128 KB tmpfs, on Linux where the test may mount one: as root; elsewhere it ends at once, saying why,
/// and the write-fault seam's tests cover the rest). A write of fewer records than the file stream buffers fails when its
/// buffer reaches a full disk, part of it written: the bytes past the segment's known length are cut off, so the next start
/// finds no damage (it reported a torn record as <see cref="GrowlyticsStatistics.CorruptRecords"/>), and what was stored is
/// delivered once.
/// </summary>
public sealed class RealFullDiskTornRecordTests : StorageTestBase
{
    private const int DiskFullEvent = 4006;
    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(200);

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public async Task DiskFillsUnderSmallWrites_NothingTornNothingCountedTwice(int perRound)
    {
        var mount = Path.Combine(Directory, "tmpfs");
        System.IO.Directory.CreateDirectory(mount);
        if (!Run("mount", $"-t tmpfs -o size=128k growlytics-test {mount}"))
        {
            Console.WriteLine("RealFullDiskTornRecordTests: a tmpfs cannot be mounted here (not Linux, or not root).");
            return;
        }

        try
        {
            var folder = Path.Combine(mount, "storage");
            var logs = new RecordingLoggerFactory();
            var collector = new StorageCollector { Up = false };
            var client = NewClient(collector, o =>
            {
                o.StorageDirectory = folder;
                o.LoggerFactory = logs;
                o.StorageCommitInterval = TimeSpan.FromMilliseconds(50);
            });
            var pushed = 0;
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
            var failingRounds = 20;
            while (failingRounds > 0 && DateTime.UtcNow < deadline)
            {
                if (logs.Entries.Any(e => e.EventId == DiskFullEvent))
                {
                    failingRounds--;
                }

                PushNumbers(client, pushed, perRound);
                pushed += perRound;
                Time.Advance(TimeSpan.FromMilliseconds(60));
                await Task.Delay(2);
            }

            logs.Entries.Should().Contain(e => e.EventId == DiskFullEvent, "the disk filled");
            var shutdown = client.ShutdownAsync();
            await DriveUntilAsync(() => shutdown.IsCompleted, Step);
            var statistics = client.Statistics;
            ShouldBeBalanced(statistics);
            var loaded = SegmentLoader.Load(folder, long.MaxValue);
            loaded.Corrupt.Should().Be(0, "nothing was damaged: a write the full disk cut short is cut off the file ({0} pushed)", pushed);
            loaded.Segments.Sum(s => s.Pending).Should().Be((int)statistics.Pending);

            collector.Up = true;
            await using var next = NewClient(collector, o => o.StorageDirectory = folder);
            var flush = next.FlushAsync();
            await DriveUntilAsync(() => flush.IsCompleted, Step);
            (next.Statistics.Delivered, next.Statistics.CorruptRecords).Should().Be((statistics.Pending, 0L));
            collector.Messages.Select(m => m.MessageId).Should().OnlyHaveUniqueItems();
        }
        finally
        {
            Run("umount", $"-l {mount}");
        }
    }

    private static bool Run(string command, string arguments)
    {
        if (!OperatingSystem.IsLinux())
        {
            return false;
        }

        try
        {
            using var process = Process.Start(new ProcessStartInfo(command, arguments) { RedirectStandardError = true, RedirectStandardOutput = true });
            process!.WaitForExit(10_000);
            return process.HasExited && process.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }
}
