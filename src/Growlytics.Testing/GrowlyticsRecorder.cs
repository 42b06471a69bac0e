using GrowlyticsSdk.Testing.Recording;
using GrowlyticsSdk.Testing.Wire;

namespace GrowlyticsSdk.Testing;

/// <summary>
/// Records, in memory, what a <see cref="GrowlyticsClient"/> sent, so a unit test can assert what the code under test
/// did: which calls, for which users, with which attributes. It plugs in through the documented
/// <see cref="GrowlyticsOptions.HttpClient"/> option and answers like a healthy service; nothing leaves the process.
/// Thread-safe; use one recorder per test.
/// </summary>
/// <example>
/// <code>
/// using var recorder = new GrowlyticsRecorder();
/// await using var client = recorder.CreateClient();
/// using (Growlytics.UseClient(client))
/// {
///     checkout.Complete(order);                  // code that calls Growlytics.User
/// }
///
/// await client.FlushAsync();
/// recorder.Calls.Should().ContainSingle(c => c.UserId == "u-42" &amp;&amp; c["plan"] == "pro");
/// </code>
/// </example>
public sealed class GrowlyticsRecorder : IDisposable
{
    /// <summary>The API key <see cref="CreateClient"/> sets unless the test sets another.</summary>
    public const string TestApiKey = "growlytics-test-key";

    private readonly object _gate = new();
    private readonly List<RecordedCall> _calls = [];
    private volatile bool _disposed;

    /// <summary>Initializes a new instance of the <see cref="GrowlyticsRecorder"/> class.</summary>
    public GrowlyticsRecorder()
    {
        HttpClient = new HttpClient(new RecordingHandler(Add));
    }

    /// <summary>
    /// Gets the HTTP client that records; set <see cref="GrowlyticsOptions.HttpClient"/> to it to record a client
    /// you configure yourself. Disposed with the recorder.
    /// </summary>
    public HttpClient HttpClient { get; }

    /// <summary>
    /// Gets the calls received so far, in the order their requests arrived: one user's in call order, several users' not
    /// (requests run concurrently), so assert per user. With Batch, call order holds per session (and per customer id for
    /// <see cref="GrowlyticsClient.Customers"/>): a session's calls and a <c>Customers</c> update of the same user, or two
    /// sessions of one user, are not ordered against each other; a session's anonymous id counts as the session, so its calls
    /// after a logout (or an identify of another user), which carry a new one, are not ordered against those before it,
    /// even the same user's. Calls the protocol sends nothing for (with REST a logout,
    /// an identify without attributes, anonymous pushes awaiting a login) are not listed.
    /// </summary>
    public IReadOnlyList<RecordedCall> Calls
    {
        get
        {
            lock (_gate)
            {
                return [.. _calls];
            }
        }
    }

    /// <summary>
    /// Creates a client that sends to this recorder: <see cref="GrowlyticsOptions.HttpClient"/> is the recorder's,
    /// the API key <see cref="TestApiKey"/>, the session process-wide (so <c>Growlytics.User</c> needs no scope), and no
    /// flush at process exit. <paramref name="configure"/> may change any of them, and the protocol.
    /// Call <see cref="GrowlyticsClient.FlushAsync"/> before asserting: delivery is asynchronous.
    /// </summary>
    /// <param name="configure">Changes to the settings, or <see langword="null"/>.</param>
    /// <returns>The client; the test disposes it.</returns>
    /// <exception cref="ObjectDisposedException">The recorder was disposed (its client could send nothing).</exception>
    public GrowlyticsClient CreateClient(Action<GrowlyticsOptions>? configure = null)
    {
        if (_disposed)
        {
            throw new ObjectDisposedException(
                nameof(GrowlyticsRecorder),
                "This GrowlyticsRecorder was disposed, so a client created from it could send nothing. Create a recorder per test and dispose the clients created from it first.");
        }

        var options = new GrowlyticsOptions
        {
            ApiKey = TestApiKey,
            Endpoint = new Uri("https://growlytics.test/"),
            HttpClient = HttpClient,
            SessionMode = SessionMode.ProcessWide,
            FlushOnProcessExit = false,
        };
        configure?.Invoke(options);
        return new GrowlyticsClient(options);
    }

    /// <summary>
    /// Returns the attributes a user has been sent, merged in the order the calls arrived (a later value of the same
    /// attribute wins; that is call order, except with Batch across sessions and <c>Customers</c>, see <see cref="Calls"/>),
    /// from every call that carried that user id: logins and updates with Batch, upserts with REST. With REST a login's upsert
    /// carries what the session pushed while anonymous, so those values are included; with Batch they were sent under the
    /// anonymous id and are not.
    /// </summary>
    /// <param name="userId">The user id.</param>
    /// <returns>
    /// The attribute values by name, as text (see <see cref="RecordedAttribute.Value"/>); empty when nothing was sent. Its
    /// indexer, asked for an attribute that was not sent, throws a <see cref="KeyNotFoundException"/> that says whether
    /// anything was recorded for the user and which attribute names were (never their values).
    /// </returns>
    /// <exception cref="ArgumentNullException"><paramref name="userId"/> is <see langword="null"/> (it would match every anonymous call).</exception>
    public IReadOnlyDictionary<string, string> GetUserAttributes(string userId)
    {
        if (userId is null)
        {
            throw new ArgumentNullException(nameof(userId), "Pass the user id whose attributes to merge; anonymous calls carry none.");
        }

        var calls = Calls;
        var forUser = calls.Where(c => string.Equals(c.UserId, userId, StringComparison.Ordinal)).ToList();
        var merged = new MergedAttributes(userId, forUser.Count, calls.Count);
        foreach (var call in forUser.Where(c => c.Type != RecordedCallType.Logout))
        {
            foreach (var attribute in call.Attributes)
            {
                merged[attribute.Name] = attribute.Value;
            }
        }

        return merged;
    }

    /// <summary>Forgets the calls recorded so far.</summary>
    public void Clear()
    {
        lock (_gate)
        {
            _calls.Clear();
        }
    }

    /// <summary>Disposes <see cref="HttpClient"/>. Dispose the clients created from the recorder first.</summary>
    public void Dispose()
    {
        _disposed = true;
        HttpClient.Dispose();
    }

    private void Add(IReadOnlyList<RecordedCall> calls)
    {
        lock (_gate)
        {
            _calls.AddRange(calls);
        }
    }
}
