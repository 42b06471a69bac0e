using System.Text;
using System.Text.Json;
using GrowlyticsSdk.Diagnostics;
using GrowlyticsSdk.Storage;
using Microsoft.Extensions.Logging;

namespace GrowlyticsSdk.Sessions;

/// <summary>
/// Keeps the process-wide session (anonymous id, user id) in <c>session.json</c> under the storage folder, like the
/// browser SDK keeps its visitor in local storage. Writes happen off the caller's thread, coalesced, and atomically
/// (temporary file, then rename); the file is readable by the current user only where the OS allows.
/// </summary>
internal sealed class SessionStore
{
    internal const string FileName = "session.json";
    private const int FormatVersion = 1;
    private readonly string _directory;
    private readonly string _path;
    private readonly ILogger _logger;
    private readonly object _gate = new();
    private (string AnonymousId, string? UserId)? _pending;
    private Task _writer = Task.CompletedTask;

    public SessionStore(string directory, ILogger logger)
    {
        _directory = directory;
        _path = Path.Combine(directory, FileName);
        _logger = logger;
    }

    /// <summary>Reads the stored session; a missing, damaged or newer-version file yields <see langword="null"/>.</summary>
    public (string AnonymousId, string? UserId)? Load()
    {
        try
        {
            if (!File.Exists(_path))
            {
                return null;
            }

            var bytes = File.ReadAllBytes(_path);
            if (bytes.Length > 4096)
            {
                throw new InvalidDataException("The session file is larger than any session.");
            }

            using var document = JsonDocument.Parse(bytes);
            var root = document.RootElement;
            if (root.GetProperty("version").GetInt32() != FormatVersion)
            {
                throw new InvalidDataException("The session file was written by another version.");
            }

            var anonymousId = root.GetProperty("anonymousId").GetString();
            var userId = root.TryGetProperty("userId", out var user) ? user.GetString() : null;
            if (!AnonymousIds.IsValid(anonymousId) || (userId is not null && Validation.UserIds.GetError(userId) is not null))
            {
                throw new InvalidDataException("The session file holds ids that break the rules.");
            }

            return (anonymousId!, userId);
        }
#pragma warning disable CA1031 // A damaged file must never stop the app: start a fresh session instead.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Log.SessionFileUnreadable(_logger, ex.GetType().Name);
            return null;
        }
    }

    /// <summary>Schedules a write of the latest state; returns at once.</summary>
    public void Save(string anonymousId, string? userId)
    {
        lock (_gate)
        {
            var idle = _pending is null;
            _pending = (anonymousId, userId);
            if (idle)
            {
                _writer = _writer.ContinueWith(_ => WritePending(), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
            }
        }
    }

    /// <summary>Completes when every scheduled write is on disk.</summary>
    public Task FlushAsync()
    {
        lock (_gate)
        {
            return _writer;
        }
    }

    private void WritePending()
    {
        (string AnonymousId, string? UserId) state;
        lock (_gate)
        {
            if (_pending is not { } pending)
            {
                return;
            }

            state = pending;
            _pending = null;
        }

        try
        {
            Directory.CreateDirectory(_directory);
            StorageFiles.WriteAtomically(_path, Serialize(state.AnonymousId, state.UserId));
        }
#pragma warning disable CA1031 // A full disk or a read-only folder is logged; the session lives on in memory.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Log.SessionFileNotWritten(_logger, ex.GetType().Name);
        }
    }

    private static byte[] Serialize(string anonymousId, string? userId)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            writer.WriteStartObject();
            writer.WriteNumber("version", FormatVersion);
            writer.WriteString("anonymousId", anonymousId);
            if (userId is null)
            {
                writer.WriteNull("userId");
            }
            else
            {
                writer.WriteString("userId", userId);
            }

            writer.WriteEndObject();
        }

        return stream.ToArray();
    }
}
