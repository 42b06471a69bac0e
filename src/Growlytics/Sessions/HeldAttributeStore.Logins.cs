namespace GrowlyticsSdk.Sessions;

// Which user each anonymous id last logged in as. A scope that continues a visitor starts anonymous unless the request
// is authenticated, so pushes held for an id after its login may be that user's, made in requests the app did not
// authenticate; a later login of another user with the same id (a browser whose user changed without a logout) must not
// receive them.
internal sealed partial class HeldAttributeStore
{
    // Least recently active first, like the held attributes; bounded by the same number of visitors and the same window.
    private readonly LinkedList<Login> _loginsByActivity = new();
    private readonly Dictionary<string, LinkedListNode<Login>> _logins = new(StringComparer.Ordinal);

    // Read without the lock (see Touch): whether any login is remembered.
    private volatile int _loginCount;

    /// <summary>
    /// Records that <paramref name="anonymousId"/> logged in as <paramref name="userId"/>; returns the user it last logged
    /// in as within the window before this one, if any.
    /// </summary>
    private string? RememberLoginLocked(string anonymousId, string userId, long now)
    {
        ForgetExpiredLoginsLocked(now);
        if (_logins.TryGetValue(anonymousId, out var node))
        {
            var previous = node.Value.UserId;
            _loginsByActivity.Remove(node);
            node.Value = new Login(anonymousId, userId, now);
            _loginsByActivity.AddLast(node);
            return previous;
        }

        if (_logins.Count >= _maxSessions && _loginsByActivity.First is { } oldest)
        {
            _logins.Remove(oldest.Value.AnonymousId);
            _loginsByActivity.RemoveFirst();
        }

        _logins[anonymousId] = _loginsByActivity.AddLast(new Login(anonymousId, userId, now));
        _loginCount = _logins.Count;
        return null;
    }

    /// <summary>Activity of a visitor keeps what its id logged in as for as long as what it holds.</summary>
    private void TouchLoginLocked(string anonymousId, long now)
    {
        // A login past its window is forgotten first, not made recent again.
        ForgetExpiredLoginsLocked(now);
        if (_logins.TryGetValue(anonymousId, out var node))
        {
            _loginsByActivity.Remove(node);
            node.Value = node.Value with { LastActive = now };
            _loginsByActivity.AddLast(node);
        }
    }

    private void ForgetLoginLocked(string anonymousId)
    {
        if (_logins.TryGetValue(anonymousId, out var node))
        {
            _logins.Remove(anonymousId);
            _loginsByActivity.Remove(node);
            _loginCount = _logins.Count;
        }
    }

    private void ForgetExpiredLoginsLocked(long now)
    {
        var cutoff = now - _retention.Ticks;
        while (_loginsByActivity.First is { } oldest && oldest.Value.LastActive <= cutoff)
        {
            _logins.Remove(oldest.Value.AnonymousId);
            _loginsByActivity.RemoveFirst();
        }

        _loginCount = _logins.Count;
    }

    private void ForgetLoginsLocked()
    {
        _logins.Clear();
        _loginsByActivity.Clear();
        _loginCount = 0;
    }

    private readonly record struct Login(string AnonymousId, string UserId, long LastActive);
}
