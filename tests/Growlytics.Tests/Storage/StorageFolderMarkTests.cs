using GrowlyticsSdk.Storage;
using Microsoft.Extensions.Logging.Abstractions;

namespace GrowlyticsSdk.Tests.Storage;

/// <summary>
/// The lock file's length tells a client that it still holds its folder (Unix): clients of one process never share a
/// length, so one never takes a folder another client made again at its path for its own.
/// </summary>
public sealed class StorageFolderMarkTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "growlytics-tests", Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (System.IO.Directory.Exists(_root))
        {
            System.IO.Directory.Delete(_root, recursive: true);
        }
    }

    [Fact]
    public void TryTake_ManyFoldersInOneProcess_EachLockHasALengthOfItsOwn()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var folders = new List<StorageFolder>();
        try
        {
            for (var i = 0; i < 300; i++)
            {
                folders.Add(StorageFolder.TryTake(Path.Combine(_root, i.ToString(System.Globalization.CultureInfo.InvariantCulture)), NullLogger.Instance, log: false, out _)!);
            }

            var lengths = folders.Select((f, i) => new FileInfo(Path.Combine(_root, i.ToString(System.Globalization.CultureInfo.InvariantCulture), "queue.lock")).Length).ToList();
            lengths.Should().OnlyHaveUniqueItems().And.OnlyContain(l => l >= 1 && l <= 512);
            folders.Should().OnlyContain(f => f.Lock == StorageFolder.LockState.Held);
        }
        finally
        {
            folders.ForEach(f => f.Dispose());
        }

        // Released lengths are given again.
        using var again = StorageFolder.TryTake(Path.Combine(_root, "again"), NullLogger.Instance, log: false, out _)!;
        again.Lock.Should().Be(StorageFolder.LockState.Held);
    }
}
