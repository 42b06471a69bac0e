namespace GrowlyticsSdk.Testing.Recording;

/// <summary>
/// What <see cref="GrowlyticsRecorder.GetUserAttributes"/> returns: the merged values, whose indexer, when a test asks for an
/// attribute that was not sent, says why in terms of the recording (nothing sent for that user yet, or which names were)
/// instead of the dictionary's bare "key not present". Names only: values never go into the message. A dictionary still,
/// as it was, so that assertions compare it as one (xunit's <c>Assert.Equal</c> by its entries, in any order).
/// </summary>
internal sealed class MergedAttributes : Dictionary<string, string>, IReadOnlyDictionary<string, string>
{
    private readonly string _userId;
    private readonly int _callsForUser;
    private readonly int _recordedCalls;

    public MergedAttributes(string userId, int callsForUser, int recordedCalls)
        : base(StringComparer.Ordinal)
    {
        _userId = userId;
        _callsForUser = callsForUser;
        _recordedCalls = recordedCalls;
    }

    string IReadOnlyDictionary<string, string>.this[string key] => TryGetValue(key, out var value) ? value : throw NotSent(key);

    private KeyNotFoundException NotSent(string key)
    {
        if (_callsForUser == 0)
        {
            return new KeyNotFoundException(
                $"No attribute '{key}' for user id '{_userId}': no recorded call carried that user id ({_recordedCalls} call(s) recorded in all). "
                + "Delivery is asynchronous: await the client's FlushAsync (or Growlytics.FlushAsync) before asserting.");
        }

        return Count == 0
            ? new KeyNotFoundException(
                $"No attribute '{key}' was sent for user id '{_userId}': its {_callsForUser} recorded call(s) carried no attributes.")
            : new KeyNotFoundException(
                $"No attribute '{key}' was sent for user id '{_userId}'; the names sent for it: {string.Join(", ", Keys.OrderBy(k => k, StringComparer.Ordinal))}.");
    }
}
