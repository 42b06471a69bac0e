using System.Runtime.InteropServices;

namespace GrowlyticsSdk.Storage;

/// <summary>File helpers shared by the storage classes: atomic replace and owner-only permissions.</summary>
internal static class StorageFiles
{
    /// <summary>Writes a file so that a reader sees either the old or the new content, never a mix.</summary>
    public static void WriteAtomically(string path, byte[] content)
    {
        // A temporary file of its own per write: two writers can never interleave in one file.
        var temp = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
        try
        {
            using (var stream = Open(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                stream.Write(content, 0, content.Length);
            }
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
        try
        {
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
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    /// <summary>
    /// Lists the temporary copies of <paramref name="fileName"/> in <paramref name="directory"/> that a process killed while
    /// writing it left: this version's (<c>name.&lt;guid&gt;.tmp</c>, see <see cref="WriteAtomically"/>) and 0.1.0's
    /// (<c>name.tmp</c>), which this version never writes. Throws if the folder cannot be listed.
    /// </summary>
    public static string[] TemporaryCopies(string directory, string fileName)
    {
        var copies = Directory.GetFiles(directory, fileName + ".*.tmp");
        var earlier = Path.Combine(directory, fileName + ".tmp");
        return File.Exists(earlier) && !Array.Exists(copies, path => string.Equals(Path.GetFileName(path), fileName + ".tmp", StringComparison.Ordinal))
            ? [.. copies, earlier]
            : copies;
    }

    /// <summary>Opens a file; one it creates is owner-only (0600) from its first byte where the OS has Unix modes (net8.0+).</summary>
    public static FileStream Open(string path, FileMode mode, FileAccess access, FileShare share)
    {
#if NET8_0_OR_GREATER
        if (!OperatingSystem.IsWindows())
        {
            return new FileStream(path, new FileStreamOptions
            {
                Mode = mode,
                Access = access,
                Share = share,
                UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            });
        }
#endif
        return new FileStream(path, mode, access, share);
    }

    /// <summary>
    /// Reads a whole file of at most <paramref name="maxBytes"/>; <see langword="null"/> for a larger one, which is judged by
    /// its length and never read into memory (a side file grown to gigabytes must not cost them at start).
    /// </summary>
    public static byte[]? ReadAllBytesUpTo(string path, int maxBytes)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        if (stream.Length > maxBytes)
        {
            return null;
        }

        var bytes = new byte[stream.Length];
        var read = 0;
        while (read < bytes.Length)
        {
            var n = stream.Read(bytes, read, bytes.Length - read);
            if (n == 0)
            {
                // Cut short while being read: what is there.
                Array.Resize(ref bytes, read);
                break;
            }

            read += n;
        }

        return bytes;
    }

    /// <summary>
    /// Makes a folder (and its missing parents); the folders it makes are owner-only (0700) where the OS has Unix modes
    /// (net8.0+). Every write that may make the storage folder again (the queue's lock, the session and privacy files,
    /// after the folder was removed under the client) goes through here.
    /// </summary>
    public static void CreateDirectory(string directory)
    {
#if NET8_0_OR_GREATER
        if (!OperatingSystem.IsWindows())
        {
            // .NET applies the mode to the last folder only and makes the missing parents with the default (0777 less the
            // umask: 0755), so each missing folder is made here, outermost first (a GetDefaultStorageDirectory path on a
            // fresh account makes ~/.local/share/<app> too).
            const UnixFileMode ownerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
            var missing = new Stack<string>();
            for (var folder = Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory)); !string.IsNullOrEmpty(folder) && !Directory.Exists(folder); folder = Path.GetDirectoryName(folder))
            {
                missing.Push(folder);
            }

            while (missing.TryPop(out var folder))
            {
                Directory.CreateDirectory(folder, ownerOnly);
            }

            Directory.CreateDirectory(directory, ownerOnly);
            return;
        }
#endif
        Directory.CreateDirectory(directory);
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

    /// <summary>
    /// Deletes files that may be missing already; one that cannot be deleted (a folder the user may not change) is emptied
    /// instead, so what it held is gone all the same. Returns how many could be neither, and the type of the first error.
    /// </summary>
    public static int DeleteAll(IEnumerable<string> paths, out string? error)
    {
        error = null;
        var failed = 0;
        foreach (var path in paths)
        {
            if (!DeleteOrEmpty(path, out var problem))
            {
                error ??= problem;
                failed++;
            }
        }

        return failed;
    }

    /// <summary>
    /// Deletes a file, or empties it when it cannot be deleted (its folder read-only, not the file): the next start finds
    /// nothing in it (an empty file holds no record, no position and no session). Returns whether its content is gone.
    /// </summary>
    internal static bool DeleteOrEmpty(string path, out string? error) => DeleteOrEmpty(path, File.Delete, out error);

    /// <summary>As <see cref="DeleteOrEmpty(string, out string?)"/>, deleting with <paramref name="delete"/> (tests: a delete that fails).</summary>
    internal static bool DeleteOrEmpty(string path, Action<string> delete, out string? error)
    {
        error = null;
        try
        {
            delete(path);
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            error = ex.GetType().Name;
        }

        if (IsLink(path))
        {
            // Emptied through a link, the file it points at would lose its content: one outside the folder is not the SDK's.
            return false;
        }

        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
            stream.SetLength(0);
            return true;
        }
        catch (FileNotFoundException)
        {
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>
    /// Gets whether <paramref name="path"/> is a symbolic link (or another reparse point), whatever it points at, also
    /// nothing; <see langword="false"/> when it cannot be told (missing, not readable).
    /// </summary>
    public static bool IsLink(string path)
    {
        try
        {
            return (File.GetAttributes(path) & FileAttributes.ReparsePoint) != 0;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>
    /// Closes a file, also one whose last write or flush failed (a full disk): closing flushes what the stream still
    /// buffers, which fails again and throws after releasing the handle. What was still buffered is given up: the caller
    /// cut it off or drops the file.
    /// </summary>
    public static void CloseQuietly(Stream stream)
    {
        try
        {
            stream.Dispose();
        }
        catch (IOException)
        {
            // The buffered bytes could not be written either; the handle is released all the same.
        }
    }

    /// <summary>
    /// Names a storage fault for the log: the exception's type, and whether the disk is full (the type alone does not tell
    /// a full disk from any other I/O error). Never its message, which may hold the folder's path.
    /// </summary>
    public static string Describe(Exception exception) =>
        IsDiskFull(exception) ? exception.GetType().Name + ", the disk is full" : exception.GetType().Name;

    /// <summary>
    /// Gets whether a write failed for lack of room: <c>ENOSPC</c> or <c>EDQUOT</c> where the OS has Unix errors (the
    /// exception's <see cref="Exception.HResult"/> is the error number there), <c>ERROR_DISK_FULL</c> or
    /// <c>ERROR_HANDLE_DISK_FULL</c> on Windows.
    /// </summary>
    public static bool IsDiskFull(Exception exception) =>
        exception is IOException io && (io.HResult is 28 or unchecked((int)0x80070070) or unchecked((int)0x80070027) || io.HResult == QuotaExceeded);

    // EDQUOT: 122 on Linux and Android, 69 on Apple's systems and the BSDs (where 122 is not an error number in use).
    private static readonly int QuotaExceeded =
        RuntimeInformation.IsOSPlatform(OSPlatform.OSX)
        || RuntimeInformation.IsOSPlatform(OSPlatform.Create("IOS"))
        || RuntimeInformation.IsOSPlatform(OSPlatform.Create("TVOS"))
        || RuntimeInformation.IsOSPlatform(OSPlatform.Create("MACCATALYST"))
        || RuntimeInformation.IsOSPlatform(OSPlatform.Create("FREEBSD"))
            ? 69
            : 122;

    /// <summary>
    /// Gets whether a file is gone (it, or its folder, not found); one that cannot be opened for another reason is not
    /// said to be missing.
    /// </summary>
    public static bool IsMissing(string path)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, bufferSize: 1);
            return false;
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>
    /// Deletes a file whose records are settled, or that is not to be read again; one that cannot be deleted is emptied, so a
    /// restart does not send (again) what it held. One that can be neither is found again at the next start.
    /// </summary>
    public static void TryDelete(string path) => _ = DeleteOrEmpty(path, out _);
}
