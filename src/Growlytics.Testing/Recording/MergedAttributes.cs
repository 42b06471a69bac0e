using System.Collections;

namespace GrowlyticsSdk.Testing.Recording;

/// <summary>
/// What <see cref="GrowlyticsRecorder.GetUserAttributes"/> returns: the merged values, whose indexer, when a test asks for an
/// attribute that was not sent, says why in terms of the recording (nothing sent for that user yet, or which names were)
/// instead of the dictionary's bare "key not present". Names only: values never go into the message.
/// </summary>
internal sealed class MergedAttributes : IReadOnlyDictionary<string, string>
{
    private readonly Dictionary<string, string> _values;
    private readonly string _userId;
    private readonly int _recordedCalls;

    public MergedAttributes(Dictionary<string, string> values, string userId, int recordedCalls)
    {
        _values = values;
        _userId = userId;
        _recordedCalls = recordedCalls;
    }

    public int Count => _values.Count;

    public IEnumerable<string> Keys => _values.Keys;

    public IEnumerable<string> Values => _values.Values;

    public string this[string key] => _values.TryGetValue(key, out var value) ? value : throw NotSent(key);

    public bool ContainsKey(string key) => _values.ContainsKey(key);

    public bool TryGetValue(string key, out string value)
    {
        var found = _values.TryGetValue(key, out var stored);
        value = stored!;
        return found;
    }

    public IEnumerator<KeyValuePair<string, string>> GetEnumerator() => _values.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    private KeyNotFoundException NotSent(string key) => _values.Count == 0
        ? new KeyNotFoundException(
            $"No attribute '{key}' for user id '{_userId}': no recorded call carried that user id ({_recordedCalls} call(s) recorded in all). "
            + "Delivery is asynchronous: await the client's FlushAsync (or Growlytics.FlushAsync) before asserting.")
        : new KeyNotFoundException(
            $"No attribute '{key}' was sent for user id '{_userId}'; it was sent: {string.Join(", ", _values.Keys.OrderBy(k => k, StringComparer.Ordinal))}.");
}
