using GrowlyticsSdk.Storage;

namespace GrowlyticsSdk.Tests.Storage;

/// <summary>
/// A process killed (kill -9, or a service manager's stop timeout) while its shutdown delivers what is stored: the
/// storage writer has stopped by then, and the position of what the shutdown's delivery settled was saved only when the
/// store closed, so the next start sent again everything the shutdown had delivered (up to its ShutdownTimeout of it),
/// where the README bounds what a kill sends again by what was settled within the last commit interval.
/// </summary>
public sealed class KillDuringShutdownDeliveryTests : StorageTestBase
{
    private const int Count = 150;
    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(200);

    [Fact]
    public async Task KilledWhileTheShutdownDelivers_NextStartSendsOnlyWhatWasNotSettledACommitIntervalBefore()
    {
        var collector = new StorageCollector { Up = true, HangWhen = numbers => numbers.Contains(Count - 1) };
        using var read = new HeldFirstRead();
        var first = NewClient(collector, o =>
        {
            o.ShutdownTimeout = TimeSpan.FromMinutes(10);
            read.Apply(o, Time);
        });
        var snapshot = Path.Combine(Path.GetTempPath(), "growlytics-tests", Guid.NewGuid().ToString("N"));
        long delivered;
        try
        {
            // Everything stored before the shutdown, nothing delivered: the first read is held until the writer stopped.
            PushNumbers(first, 0, 10);
            await DriveUntilAsync(() => read.IsHeld, Step);
            PushNumbers(first, 10, Count - 10);
            await StoredAsync(first);

            var shutdown = first.ShutdownAsync();
            await DriveUntilAsync(() => first.StorageWriterStopped, Step);
            read.Release();

            // The shutdown delivers every batch before the one holding the last number, which the collector holds.
            await DriveUntilAsync(() => Volatile.Read(ref collector.Hanging) == 1, TimeSpan.FromMilliseconds(1));
            await DriveUntilAsync(() => first.Statistics.Delivered == collector.Messages.Count, TimeSpan.FromMilliseconds(1));
            delivered = first.Statistics.Delivered;
            delivered.Should().BeGreaterThan(0, $"attempts {collector.Attempts}, recorded {collector.Messages.Count}, pending {first.Statistics.Pending}").And.BeLessThan(Count);

            // A second passes (five commit intervals) with those settled, then the process is killed: the folder as it is.
            Time.Advance(TimeSpan.FromSeconds(1));
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(3);
            long stored;
            do
            {
                await Task.Delay(20);
                CopyFolder(Directory, snapshot);
                stored = SegmentLoader.Load(snapshot, long.MaxValue).Segments.Sum(s => s.Pending);
            }
            while (stored != Count - delivered && DateTime.UtcNow < deadline);

            stored.Should().Be(Count - delivered, "what the shutdown delivered more than a commit interval before the kill is saved as settled");

            // The shutdown runs out of time (the held request is abandoned) and ends.
            await DriveUntilAsync(() => shutdown.IsCompleted, TimeSpan.FromMinutes(1));
            await shutdown;
        }
        finally
        {
            read.Release();
            var disposed = first.DisposeAsync().AsTask();
            await DriveUntilAsync(() => disposed.IsCompleted, TimeSpan.FromMinutes(1));
            await disposed;
        }

        // The next start finds the folder as the killed process left it.
        System.IO.Directory.Delete(Directory, recursive: true);
        CopyFolder(snapshot, Directory);
        System.IO.Directory.Delete(snapshot, recursive: true);

        var next = new StorageCollector { Up = true };
        await using var second = NewClient(next);
        var flush = second.FlushAsync();
        await DriveUntilAsync(() => flush.IsCompleted, Step);
        await flush;

        second.Statistics.Restored.Should().Be(Count - delivered);
        next.Numbers.Should().BeEquivalentTo(Enumerable.Range((int)delivered, Count - (int)delivered).Select(n => (long)n), "nothing delivered before the kill is sent again");
        ShouldBeBalanced(second.Statistics);
    }

    /// <summary>Copies the folder's files (not the lock file, which the running client holds) as a kill leaves them.</summary>
    private static void CopyFolder(string from, string to)
    {
        if (System.IO.Directory.Exists(to))
        {
            System.IO.Directory.Delete(to, recursive: true);
        }

        System.IO.Directory.CreateDirectory(to);
        foreach (var file in System.IO.Directory.GetFiles(from))
        {
            if (Path.GetFileName(file) == StorageFolder.LockFileName)
            {
                continue;
            }

            try
            {
                File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
            }
            catch (FileNotFoundException)
            {
                // Deleted (a settled segment, a temporary copy renamed) while the folder was listed.
            }
        }
    }
}
