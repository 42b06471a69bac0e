using System.Text;
using System.Text.Json;
using GrowlyticsSdk.Diagnostics;
using Microsoft.Extensions.Logging;

namespace GrowlyticsSdk.Storage;

/// <summary>
/// <c>privacy.json</c> in the storage folder: whether the user opted out, so an app that is restarted stays opted out.
/// Holds nothing about the user. Replaced atomically and owner-only; kept when local data is deleted, since it records
/// the user's choice.
/// </summary>
internal static class PrivacyFile
{
    internal const string FileName = "privacy.json";
    private const int FormatVersion = 1;
    internal const int MaxFileBytes = 4096;

    /// <summary>
    /// Reads the stored choice: opted out or not; not opted out when there is no file. A file that cannot be read counts as
    /// opted out (logged): the safe side of a choice that cannot be known.
    /// </summary>
    public static bool ReadOptedOut(string directory, ILogger logger)
    {
        var path = Path.Combine(directory, FileName);
        try
        {
            if (!File.Exists(path))
            {
                return false;
            }

            var bytes = StorageFiles.ReadAllBytesUpTo(path, MaxFileBytes)
                ?? throw new InvalidDataException("The privacy file is larger than any choice.");

            // A mark an editor or a backup tool put before the JSON leaves the choice readable (see ByteOrderMark). An empty
            // file, or one holding only a mark and whitespace, holds no choice: unreadable, as below (the session file reads
            // both as no session).
            using var document = JsonDocument.Parse(ByteOrderMark.Skip(bytes));
            var root = document.RootElement;
            if (root.GetProperty("version").GetInt32() != FormatVersion)
            {
                throw new InvalidDataException("The privacy file was written by another version.");
            }

            return root.GetProperty("optedOut").GetBoolean();
        }
#pragma warning disable CA1031 // Whatever is wrong with the file, the app must start; it starts opted out.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Log.PrivacyChoiceUnreadable(logger, ex.GetType().Name);
            return true;
        }
    }

    /// <summary>Stores the choice; a failure is logged and the choice holds for this process only.</summary>
    public static void Write(string directory, bool optedOut, ILogger logger)
    {
        try
        {
            StorageFiles.CreateDirectory(directory);
            var json = optedOut ? "{\"version\":1,\"optedOut\":true}" : "{\"version\":1,\"optedOut\":false}";
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    StorageFiles.WriteAtomically(Path.Combine(directory, FileName), Encoding.UTF8.GetBytes(json));
                    break;
                }
                catch (FileNotFoundException) when (attempt < 3)
                {
                    // The temporary copy went before its rename: a storage writer starting on this folder deletes the copies
                    // a killed process left (SegmentLoader.Load), and can take one being written. Written again (a new copy).
                }
            }
        }
#pragma warning disable CA1031 // A full disk or a read-only folder is logged; the choice still holds in this process.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Log.PrivacyChoiceNotSaved(logger, ex.GetType().Name);
        }
    }
}
