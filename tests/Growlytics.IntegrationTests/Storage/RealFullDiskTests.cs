using System.Diagnostics;
using GrowlyticsSdk.Storage;
using static GrowlyticsSdk.IntegrationTests.TestSupport;

namespace GrowlyticsSdk.IntegrationTests.Storage;

/// <summary>
/// A real full disk: a 1 MB tmpfs, on Linux where the test may mount one (as root; elsewhere the write-fault seam's tests in
/// <see cref="StorageFaultTests"/> cover the same paths, and this one ends at once, saying why).
/// </summary>
[Collection(EngineCollection.Name)]
public sealed class RealFullDiskTests
{
    [Fact]
    public async Task Send_DiskFullFromTheStart_DeliveredFromMemoryNoSegmentLeftBehindNothingReportedAsDamageNextTime()
    {
        using var folder = new TempFolder();
        var mount = folder.Sub("tmpfs");
        Directory.CreateDirectory(mount);
        if (!Run("mount", $"-t tmpfs -o size=1m growlytics-test {mount}"))
        {
            Console.WriteLine("RealFullDiskTests: a tmpfs cannot be mounted here (not Linux, or not root); covered by StorageFaultTests' seam.");
            return;
        }

        try
        {
            var filler = Path.Combine(mount, "filler");
            Fill(filler);
            await using var collector = await FaultyCollector.StartAsync();
            var options = FastOptions(collector.Endpoint);
            options.StorageDirectory = Path.Combine(mount, "storage");
            options.StorageCommitInterval = TimeSpan.FromMilliseconds(20);
            var client = new GrowlyticsClient(options);
            for (var round = 0; round < 20; round++)
            {
                for (var i = 0; i < 100; i++)
                {
                    client.User.Push(Number((round * 100) + i));
                }

                await Task.Delay(10);
            }

            await FlushAsync(client);
            await client.ShutdownAsync();

            collector.ShouldHaveDeliveredExactly(client, 2_000);
            Directory.GetFiles(options.StorageDirectory, SegmentLoader.FilePrefix + "*").Should().BeEmpty("a segment whose header could not be written is deleted");

            // With room again, the next client finds nothing damaged and nothing to send.
            File.Delete(filler);
            await using var next = new GrowlyticsClient(options);
            await FlushAsync(next);
            (next.Statistics.CorruptRecords, next.Statistics.Pending).Should().Be((0L, 0L));
        }
        finally
        {
            Run("umount", $"-l {mount}");
        }
    }

    private static void Fill(string path)
    {
        var block = new byte[4096];
        using var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.None);
        try
        {
            while (true)
            {
                stream.Write(block, 0, block.Length);
            }
        }
        catch (IOException)
        {
            // Full.
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
