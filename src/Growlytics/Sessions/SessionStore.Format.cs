using System.Text.Json;
using GrowlyticsSdk.Diagnostics;
using GrowlyticsSdk.Messages;
using GrowlyticsSdk.Storage;

namespace GrowlyticsSdk.Sessions;

// The session file's format: reading it at the start and writing it.
internal sealed partial class SessionStore
{
    /// <summary>Reads the stored session; a missing, damaged or newer-version file yields <see langword="null"/>.</summary>
    /// <param name="takingOver">
    /// Whether the client reads it as it takes the folder over (another client held it at its start): a damaged file is
    /// then written over with the session the client has (event 3006), not the start of a new one (event 3001).
    /// </param>
    public StoredSession? Load(bool takingOver = false)
    {
        try
        {
            if (!File.Exists(_path))
            {
                return null;
            }

            var bytes = StorageFiles.ReadAllBytesUpTo(_path, MaxFileBytes)
                ?? throw new InvalidDataException("The session file is larger than any session.");
            if (ByteOrderMark.IsBlank(bytes))
            {
                // Emptied by a deletion that could not delete it (a read-only folder), or by a tool that left a mark or a line
                // break (see ByteOrderMark.IsBlank): no session.
                return null;
            }

            // A mark an editor or a backup tool put before the JSON is no damage (see ByteOrderMark).
            var json = ByteOrderMark.Skip(bytes);
            using var document = JsonDocument.Parse(json);
            var root = document.RootElement;
            var version = root.GetProperty("version").GetInt32();
            if (version is not (FormatVersion or FirstFormatVersion))
            {
                throw new InvalidDataException("The session file was written by another version.");
            }

            var anonymousId = root.GetProperty("anonymousId").GetString();
            var userId = root.TryGetProperty("userId", out var user) ? user.GetString() : null;
            if (!AnonymousIds.IsValid(anonymousId) || (userId is not null && Validation.UserIds.GetError(userId) is not null))
            {
                throw new InvalidDataException("The session file holds ids that break the rules.");
            }

            var (held, heldCalls) = ReadHeld(root);
            lock (_gate)
            {
                _heldCallsInFile = heldCalls;
            }

            LoadedTooLarge = heldCalls > 0 && bytes.Length > _maxHeldFileBytes;
            return new StoredSession(anonymousId!, userId, held, heldCalls);
        }
#pragma warning disable CA1031 // A damaged file must never stop the app: start a fresh session (or keep this one) instead.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            if (takingOver)
            {
                Log.SessionFileUnreadableAtTakeOver(_logger, ex.GetType().Name);
            }
            else
            {
                Log.SessionFileUnreadable(_logger, ex.GetType().Name);
            }

            ReportDamage();
            return null;
        }
    }

    // Once per store: a client that reads the file again when it takes the folder over finds the same damage.
    private void ReportDamage()
    {
        if (Interlocked.Exchange(ref _damageReported, 1) == 0)
        {
            FoundDamaged?.Invoke();
        }
    }

    // The held attributes are optional: a damaged held part costs those attributes (logged), not the session.
    private (UserAttribute[] Held, int Calls) ReadHeld(JsonElement root)
    {
        if (!root.TryGetProperty("held", out var held) || held.ValueKind == JsonValueKind.Null)
        {
            return ([], 0);
        }

        try
        {
            return HeldAttributeJson.Read(held);
        }
#pragma warning disable CA1031 // Whatever is wrong with them, the session itself is still good.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Log.HeldAttributesUnreadable(_logger, ex.GetType().Name);
            ReportDamage();
            return ([], 0);
        }
    }

    private static byte[] Serialize(StoredSession session, bool withHeld)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, Serialization.MessageJsonWriter.WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteNumber("version", FormatVersion);
            writer.WriteString("anonymousId", session.AnonymousId);
            if (session.UserId is null)
            {
                writer.WriteNull("userId");
            }
            else
            {
                writer.WriteString("userId", session.UserId);
            }

            if (withHeld && session.Held.Length > 0)
            {
                HeldAttributeJson.Write(writer, session.Held, session.HeldCalls);
            }

            writer.WriteEndObject();
        }

        return stream.ToArray();
    }
}
