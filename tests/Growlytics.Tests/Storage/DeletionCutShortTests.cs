using GrowlyticsSdk.Storage;

namespace GrowlyticsSdk.Tests.Storage;

/// <summary>
/// <see cref="GrowlyticsClient.DeleteLocalDataAsync"/> with storage, when the process ends before the stored queue's files
/// are deleted (killed, or the machine loses power): the folder as it is on disk then is read by the next start, which must
/// not send what the user asked to delete.
/// </summary>
public sealed class DeletionCutShortTests : StorageTestBase
{
    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(200);

    [Fact]
    public async Task DeleteLocalData_ProcessEndsBeforeTheFilesAreDeleted_TheNextStartSendsNoneOfThem()
    {
        using var writerHeld = new SemaphoreSlim(0);
        using var release = new SemaphoreSlim(0);
        var holdWriter = 0;

        // The delivery loop is held in its first read of the stored records: they are neither sent nor settled, so their
        // segment files stay until the writer deletes them (a segment whose records are all settled is deleted at once).
        using var read = new HeldFirstRead();
        await using var client = NewClient(new StorageCollector { Up = false }, o =>
        {
            read.Apply(o, Time);
            o.MaxStorageBytes = 64 * 1024;
            o.BeforeStorageAppend = () =>
            {
                if (Interlocked.Exchange(ref holdWriter, 0) == 1)
                {
                    writerHeld.Release();
                    release.Wait(TimeSpan.FromSeconds(30));
                }
            };
        });
        PushNumbers(client, 0, 200);
        await StoredAsync(client);
        SegmentFiles().Length.Should().BeGreaterThan(2, "the numbers take several segments");
        SpinWait.SpinUntil(() => read.IsHeld, TimeSpan.FromSeconds(30)).Should().BeTrue();

        // The storage writer is held in a commit, so the deletion (which deletes the files on the writer, between two
        // commits) has begun but not reached the files.
        Volatile.Write(ref holdWriter, 1);
        PushNumbers(client, 1_000, 1);
        _ = StoredAsync(client);
        (await writerHeld.WaitAsync(TimeSpan.FromSeconds(30))).Should().BeTrue();
        Task deletion;
        var killed = Path.Combine(Directory, "killed");
        try
        {
            deletion = client.DeleteLocalDataAsync();

            // Its first step, off the caller's thread: a position past every segment, on disk before anything is deleted.
            SpinWait.SpinUntil(
                () => AckFile.Read(Directory, out _) is { } mark && mark.SegmentId > SegmentLoader.HighestId(Directory),
                TimeSpan.FromSeconds(30)).Should().BeTrue("the deletion saves its mark at once");
            await Task.Delay(100);
            deletion.IsCompleted.Should().BeFalse("the files are deleted on the writer, which is held");

            // What the disk holds if the process ends now: the engine's sweep may have dropped what it could read from the
            // disk (the files it settled are deleted as it goes), the files are still to be deleted on the writer.
            System.IO.Directory.CreateDirectory(killed);
            foreach (var file in System.IO.Directory.GetFiles(Directory).Where(f => Path.GetFileName(f) != "queue.lock"))
            {
                File.Copy(file, Path.Combine(killed, Path.GetFileName(file)));
            }

            System.IO.Directory.GetFiles(killed, "queue-*.seg").Should().NotBeEmpty("some segment files are not deleted yet");
        }
        finally
        {
            // Also when an assertion failed: the writer must not stay held.
            release.Release();
            read.Release();
        }

        await deletion.WaitAsync(TimeSpan.FromSeconds(30));

        var loaded = SegmentLoader.Load(killed, long.MaxValue);
        loaded.Segments.Sum(s => s.Pending).Should().Be(0, "the next start finds nothing to send of what was stored before the deletion");
        System.IO.Directory.GetFiles(killed, "queue-*.seg").Should().BeEmpty("the next start deletes what the deletion left");
        ShouldBeBalanced(client.Statistics);
    }
}
