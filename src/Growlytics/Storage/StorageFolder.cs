using GrowlyticsSdk.Diagnostics;
using Microsoft.Extensions.Logging;

namespace GrowlyticsSdk.Storage;

/// <summary>
/// Ownership of a storage folder: <c>queue.lock</c>, held open without sharing by one client at a time, across
/// processes and within one. Creates the folder owner-only (0700, files 0600) where the OS has Unix modes (net8.0+;
/// the netstandard2.0 build relies on the per-user folder's own permissions).
/// </summary>
internal sealed class StorageFolder : IDisposable
{
    internal const string LockFileName = "queue.lock";

    private readonly FileStream _lock;

    private StorageFolder(string directory, FileStream lockFile)
    {
        Directory = directory;
        _lock = lockFile;
    }

    public string Directory { get; }

    /// <summary>Why a folder could not be taken.</summary>
    public enum Problem
    {
        None,

        /// <summary>Another client holds it (this process or another); it may be released later.</summary>
        HeldByOther,

        /// <summary>The path names a file, not a folder.</summary>
        NotAFolder,

        /// <summary>The folder or its lock file cannot be created or opened (permissions, a read-only or full disk, a bad path).</summary>
        Unusable,
    }

    /// <summary>Takes the folder, or says why not (and logs it, once per distinct cause when <paramref name="log"/> is set).</summary>
    public static StorageFolder? TryTake(string directory, ILogger logger, bool log, out Problem problem)
    {
        problem = Problem.None;
        try
        {
            if (File.Exists(directory))
            {
                problem = Problem.NotAFolder;
                if (log)
                {
                    Log.StorageNotAFolder(logger);
                }

                return null;
            }

            CreatePrivateDirectory(directory);
            var path = Path.Combine(directory, LockFileName);
            var lockFile = StorageFiles.Open(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            try
            {
                StorageFiles.RestrictToCurrentUser(path);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // The lock works without its mode; the data files are restricted as they are written.
            }

            return new StorageFolder(directory, lockFile);
        }
        catch (IOException ex) when (IsSharingViolation(ex))
        {
            problem = Problem.HeldByOther;
            if (log)
            {
                Log.StorageLocked(logger);
            }

            return null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
        {
            problem = Problem.Unusable;
            if (log)
            {
                Log.StorageUnavailable(logger, ex.GetType().Name);
            }

            return null;
        }
    }

    public void Dispose() => _lock.Dispose();

    private static void CreatePrivateDirectory(string directory)
    {
#if NET8_0_OR_GREATER
        if (!OperatingSystem.IsWindows())
        {
            var existed = System.IO.Directory.Exists(directory);
            System.IO.Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            if (!existed)
            {
                return;
            }

            // A folder made by an earlier version (0755) is made private too.
            File.SetUnixFileMode(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            return;
        }
#endif
        System.IO.Directory.CreateDirectory(directory);
    }

    // What .NET reports for a file held without sharing: ERROR_SHARING_VIOLATION (32) or ERROR_LOCK_VIOLATION (33) on
    // Windows; the errno of a refused flock, EWOULDBLOCK (11 on Linux, 35 on macOS), elsewhere.
    private static bool IsSharingViolation(IOException ex) => (ex.HResult & 0xFFFF) is 32 or 33 || ex.HResult is 11 or 35;
}
