namespace GrowlyticsSdk.Storage;

/// <summary>File helpers shared by the storage classes: atomic replace and owner-only permissions.</summary>
internal static class StorageFiles
{
    /// <summary>Writes a file so that a reader sees either the old or the new content, never a mix.</summary>
    public static void WriteAtomically(string path, byte[] content)
    {
        var temp = path + ".tmp";
        File.WriteAllBytes(temp, content);
        RestrictToCurrentUser(temp);
#if NET8_0_OR_GREATER
        File.Move(temp, path, overwrite: true);
#else
        if (File.Exists(path))
        {
            File.Replace(temp, path, null);
        }
        else
        {
            File.Move(temp, path);
        }
#endif
    }

    public static void RestrictToCurrentUser(string path)
    {
#if NET8_0_OR_GREATER
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
#else
        // Per-user application-data folders are already private to the user on Windows.
        _ = path;
#endif
    }

    public static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // A file that cannot be deleted now is found again, and skipped, at the next start.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
