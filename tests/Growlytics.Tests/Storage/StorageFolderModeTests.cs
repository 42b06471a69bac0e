using GrowlyticsSdk.Storage;
using Microsoft.Extensions.Logging.Abstractions;

namespace GrowlyticsSdk.Tests.Storage;

/// <summary>
/// The storage folder is private to the user when the SDK made it (this version or an earlier one); a folder the app made
/// keeps its mode, and the SDK's files in it are owner-only.
/// </summary>
public sealed class StorageFolderModeTests : StorageTestBase
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    [Fact]
    [Trait("Requires", "net8")] // The netstandard2.0 build cannot set file modes (docs/security.md).
    public void TryTake_FolderAnApplicationMadeWithGroupAccess_KeepsItsMode_TheLockFileIsOwnerOnly()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var shared = OwnerOnly | UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute | UnixFileMode.SetGroup;
        System.IO.Directory.CreateDirectory(Directory);
        File.SetUnixFileMode(Directory, shared);

        for (var start = 0; start < 3; start++)
        {
            using var folder = StorageFolder.TryTake(Directory, NullLogger.Instance, log: false, out var problem);

            folder.Should().NotBeNull();
            problem.Should().Be(StorageFolder.Problem.None);
            File.GetUnixFileMode(Directory).Should().Be(shared, "the app's own folder (other accounts may rely on its group access) is not changed, at any start");
            File.GetUnixFileMode(Path.Combine(Directory, StorageFolder.LockFileName)).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
    }

    [Fact]
    [Trait("Requires", "net8")] // The netstandard2.0 build cannot set file modes (docs/security.md).
    public void TryTake_FolderAnEarlierVersionMadeReadableByOthers_IsMadeOwnerOnly()
    {
        if (OperatingSystem.IsWindows())
        {
            // No Unix modes there: the per-user folder's ACLs apply (documented).
            return;
        }

        System.IO.Directory.CreateDirectory(Directory);
        File.WriteAllBytes(Path.Combine(Directory, StorageFolder.LockFileName), []);
        File.SetUnixFileMode(Path.Combine(Directory, StorageFolder.LockFileName), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        File.SetUnixFileMode(Directory, OwnerOnly | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);

        using var folder = StorageFolder.TryTake(Directory, NullLogger.Instance, log: false, out var problem);

        folder.Should().NotBeNull();
        problem.Should().Be(StorageFolder.Problem.None);
        File.GetUnixFileMode(Directory).Should().Be(OwnerOnly, "a folder made before (0755) becomes private too");
        File.GetUnixFileMode(Path.Combine(Directory, StorageFolder.LockFileName)).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }

    [Fact]
    [Trait("Requires", "net8")] // The netstandard2.0 build cannot set file modes (docs/security.md).
    public void TryTake_NewFolder_IsCreatedOwnerOnly()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var nested = Path.Combine(Directory, "queue");

        using var folder = StorageFolder.TryTake(nested, NullLogger.Instance, log: false, out _);

        folder.Should().NotBeNull();
        File.GetUnixFileMode(nested).Should().Be(OwnerOnly);
    }

    [Fact]
    [Trait("Requires", "net8")] // The netstandard2.0 build cannot set file modes (docs/security.md).
    public async Task FolderRemovedUnderTheClient_ASessionSaveMakesItAgain_ItIsOwnerOnly()
    {
        if (OperatingSystem.IsWindows())
        {
            // Windows does not remove a folder with a file open in it (the client's queue.lock).
            return;
        }

        await using var client = NewClient(new StorageCollector { Up = false }, o => o.Protocol = GrowlyticsProtocol.Rest);
        client.User.Push(new Dictionary<string, object?> { ["city"] = "Pune" });
        await client.FlushSessionFileAsync();
        await StoredAsync(client);
        File.GetUnixFileMode(Directory).Should().Be(OwnerOnly);
        System.IO.Directory.Delete(Directory, recursive: true);

        // An anonymous push under REST is held for the login: its session file is saved at once, with no message queued,
        // so the session's save (not the queue's writer) makes the folder again.
        client.User.Push(new Dictionary<string, object?> { ["plan"] = "pro" });
        await client.FlushSessionFileAsync();

        File.Exists(Path.Combine(Directory, "session.json")).Should().BeTrue("the session's save made the folder again");
        File.GetUnixFileMode(Directory).Should().Be(OwnerOnly, "a folder the SDK makes is owner-only, whichever of its files makes it");
        client.Customers.Update("customer-1", new Dictionary<string, object?> { ["n"] = 1 });
        await StoredAsync(client);
        File.Exists(Path.Combine(Directory, StorageFolder.LockFileName)).Should().BeTrue("the client holds the folder again");
        File.GetUnixFileMode(Directory).Should().Be(OwnerOnly);
    }

    [Fact]
    [Trait("Requires", "net8")] // The netstandard2.0 build cannot set file modes (docs/security.md).
    public void PrivacyChoiceSavedInAFolderNotMadeYet_TheFolderIsOwnerOnly()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var nested = Path.Combine(Directory, "queue");

        PrivacyFile.Write(nested, optedOut: true, NullLogger.Instance);

        File.GetUnixFileMode(nested).Should().Be(OwnerOnly);
        PrivacyFile.ReadOptedOut(nested, NullLogger.Instance).Should().BeTrue();
    }
}
