using System.Runtime.InteropServices;
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

    /// <summary>The most bytes the lock file takes: its length is the owner's mark, 1 to 512.</summary>
    internal const int MostLockBytes = 512;

    private static readonly Random Marks = new();

    // The lengths held by this process's clients (under Marks' lock): two clients of one process never share one, so one
    // never takes a folder another made again for its own.
    private static readonly HashSet<long> MarksInUse = [];

    private readonly FileStream _lock;
    private readonly string _lockPath;

    // The lock file's length as this client set it when it took the folder (see IsReplaced); null where it is not checked
    // (Windows, or a disk that did not take it).
    private readonly long? _mark;

    private StorageFolder(string directory, FileStream lockFile, string lockPath)
    {
        Directory = directory;
        _lock = lockFile;
        _lockPath = lockPath;
        _mark = Mark(lockFile);
    }

    public string Directory { get; }

    /// <summary>What <c>queue.lock</c> at the folder's path is (see <see cref="Lock"/>).</summary>
    public enum LockState
    {
        /// <summary>The file this client holds.</summary>
        Held,

        /// <summary>No file: the folder was removed (and maybe made again by this client's session file), or the file deleted.</summary>
        Missing,

        /// <summary>Another file: the folder was removed and made again by another client, which holds it or held it.</summary>
        Other,
    }

    /// <summary>
    /// Gets what <c>queue.lock</c> at the folder's path is now. Unix lets a folder go while files in it are open: removed
    /// while the client runs (by the user, a cleaning tool), it takes the lock with it, and a folder made again at that path
    /// is not locked by this client. Told by the lock file's length, which this client set to a value of its own (a few
    /// hundred bytes, a hole on disk) when it took the folder: another process's client matches by chance once in 512 (an
    /// earlier version's is empty); another client of this process never does. Read without opening the file, which could not be read while held. Always
    /// <see cref="LockState.Held"/> on Windows, which neither removes a folder with a file open in it nor deletes a file
    /// held without delete sharing.
    /// </summary>
    public LockState Lock
    {
        get
        {
            if (_mark is not { } mark)
            {
                return LockState.Held;
            }

            try
            {
                return new FileInfo(_lockPath).Length == mark ? LockState.Held : LockState.Other;
            }
            catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
            {
                return LockState.Missing;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Not readable now: whatever is wrong, the writes that follow fail over to memory on their own.
                return LockState.Held;
            }
        }
    }

    /// <summary>Gets a value indicating whether <c>queue.lock</c> at the folder's path is not the file this client holds.</summary>
    public bool IsReplaced => Lock != LockState.Held;

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
            if (StorageFiles.IsLink(path))
            {
                // A link where the lock file should be (a folder restored or copied with its links, or one planted in a
                // shared place): opened, the file it points at would be marked (its length set) and made owner-only, or
                // made where it points. The link goes (never what it points at) and the lock file is made in its place.
                File.Delete(path);
            }

            var lockFile = StorageFiles.Open(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            try
            {
                StorageFiles.RestrictToCurrentUser(path);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // The lock works without its mode; the data files are restricted as they are written.
            }

            return new StorageFolder(directory, lockFile, path);
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
        catch (IOException) when (HasFileOnPath(directory))
        {
            // A file where a folder of the path should be: the platform says only that a directory was not found.
            problem = Problem.NotAFolder;
            if (log)
            {
                Log.StorageNotAFolder(logger);
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

    private static bool HasFileOnPath(string directory)
    {
        try
        {
            for (var parent = Path.GetDirectoryName(directory); !string.IsNullOrEmpty(parent); parent = Path.GetDirectoryName(parent))
            {
                if (File.Exists(parent))
                {
                    return true;
                }
            }
        }
        catch (Exception ex) when (ex is ArgumentException or PathTooLongException or NotSupportedException)
        {
            // Not a path to walk: reported as unusable.
        }

        return false;
    }

    public void Dispose()
    {
        _lock.Dispose();
        if (_mark is { } mark)
        {
            lock (Marks)
            {
                MarksInUse.Remove(mark);
            }
        }
    }

    /// <summary>
    /// Sets the held lock file's length to a value of this client's (1 to 512 bytes) and returns it; <see langword="null"/>
    /// on Windows or where it cannot be set.
    /// </summary>
    private static long? Mark(FileStream lockFile)
    {
        if (RuntimeInformation.IsOSPlatform(OSPlatform.Windows))
        {
            return null;
        }

        try
        {
            long length;
            lock (Marks)
            {
                do
                {
                    length = Marks.Next(1, MostLockBytes + 1);
                }
                while (MarksInUse.Contains(length) && MarksInUse.Count < 512);

                MarksInUse.Add(length);
            }

            try
            {
                lockFile.SetLength(length);
                lockFile.Flush();
                return length;
            }
            catch
            {
                lock (Marks)
                {
                    MarksInUse.Remove(length);
                }

                throw;
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

#if NET8_0_OR_GREATER
    private const UnixFileMode OthersAccess = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
        | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;
#endif

    private static void CreatePrivateDirectory(string directory)
    {
#if NET8_0_OR_GREATER
        if (!OperatingSystem.IsWindows())
        {
            var existed = System.IO.Directory.Exists(directory);
            StorageFiles.CreateDirectory(directory);
            var lockFile = Path.Combine(directory, LockFileName);
            if (existed && File.Exists(lockFile) && (File.GetUnixFileMode(lockFile) & OthersAccess) != 0)
            {
                // A folder an earlier version made (0755, its lock file 0644) is made private too. A folder the app made
                // keeps its mode (group access, setgid: other accounts may rely on them), also at later starts, when it
                // holds this version's lock file (0600); the SDK's files in it are owner-only.
                File.SetUnixFileMode(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }

            return;
        }
#endif
        StorageFiles.CreateDirectory(directory);
    }

    // What .NET reports for a file held without sharing: ERROR_SHARING_VIOLATION (32) or ERROR_LOCK_VIOLATION (33) on
    // Windows; the errno of a refused flock, EWOULDBLOCK (11 on Linux, 35 on macOS), elsewhere.
    private static bool IsSharingViolation(IOException ex) => (ex.HResult & 0xFFFF) is 32 or 33 || ex.HResult is 11 or 35;
}
