using GrowlyticsSdk.Storage;

namespace GrowlyticsSdk.Tests.Storage;

/// <summary>
/// Links in the storage folder that point outside it (a folder restored by a backup tool that keeps links, copied with
/// links, or planted in a shared location): the SDK changes nothing through them in files it does not own.
/// </summary>
public sealed class StorageFolderLinksTests : StorageTestBase
{
    private static readonly string Content = new('x', 4096);

    [Fact]
    public async Task LockFileLinkedOutside_TheFileOutsideKeepsItsContentAndMode()
    {
        if (OperatingSystem.IsWindows())
        {
            // Creating a symbolic link needs a privilege there.
            return;
        }

        var outside = Directory + "-outside.txt";
        try
        {
            System.IO.Directory.CreateDirectory(Directory);
            File.WriteAllText(outside, Content);
            var mode = File.GetUnixFileMode(outside);
            File.CreateSymbolicLink(Path.Combine(Directory, StorageFolder.LockFileName), outside);

            var collector = new StorageCollector { Up = true };
            await using (var client = NewClient(collector))
            {
                PushNumbers(client, 0, 3);
                await client.FlushAsync();
                client.Durable!.IsOwner.Should().BeTrue("the folder is still taken, with a lock file of its own");
            }

            new FileInfo(outside).Length.Should().Be(Content.Length, "the file the link points at is not the SDK's");
            File.ReadAllText(outside).Should().Be(Content);
            File.GetUnixFileMode(outside).Should().Be(mode);
            collector.Numbers.Should().BeEquivalentTo([0L, 1L, 2L]);
        }
        finally
        {
            File.Delete(outside);
        }
    }

    [Fact]
    public void SegmentLinkedOutside_ThatCannotBeDeleted_IsNotEmptiedThroughTheLink()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var outside = Directory + "-outside.seg";
        try
        {
            System.IO.Directory.CreateDirectory(Directory);
            File.WriteAllText(outside, Content);
            var link = SegmentLoader.SegmentPath(Directory, 7);
            File.CreateSymbolicLink(link, outside);

            // As in a read-only folder: the link cannot be deleted.
            StorageFiles.DeleteOrEmpty(link, static _ => throw new UnauthorizedAccessException(), out _);

            new FileInfo(outside).Length.Should().Be(Content.Length, "emptying a file stands in for deleting it only for the folder's own files");
        }
        finally
        {
            File.Delete(outside);
        }
    }
}
