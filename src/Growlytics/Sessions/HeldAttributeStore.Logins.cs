namespace GrowlyticsSdk.Sessions;

// Which user each anonymous id last logged in as. A scope that continues a visitor starts anonymous unless the request
// is authenticated, so pushes held for an id after its login may be that user's, made in requests the app did not
// authenticate; a later login of another user with the same id (a browser whose user changed without a logout) must not
// receive them.
internal sealed partial class HeldAttributeStore
{
    // What a remembered login takes beyond its two ids' characters: its list node (with the record it holds), its
    // dictionary slot and the two strings' headers. Counted with the held attributes toward MaxQueueBytes: left out,
    // 400,000 logins in the window took 64 MB of heap at any MaxQueueBytes.
    private const int LoginOverhead = 160;

    // Least recently active first, like the held attributes; bounded by the same number of visitors, the same window and
    // the same bytes.
    private readonly LinkedList<Login> _loginsByActivity = new();
    private Dictionary<string, LinkedListNode<Login>> _logins = new(StringComparer.Ordinal);
    private int _loginsPeak;

    // Read without the lock (see Touch): whether any login is remembered.
    private volatile int _loginCount;

    /// <summary>
    /// Records that <paramref name="anonymousId"/> logged in as <paramref name="userId"/>; returns the user it last logged
    /// in as within the window before this one, if any.
    /// </summary>
    private string? RememberLoginLocked(string anonymousId, string userId, long now, ref Tally evicted)
    {
        ForgetExpiredLoginsLocked(now);
        if (_logins.TryGetValue(anonymousId, out var node))
        {
            var previous = node.Value.UserId;
            _loginsByActivity.Remove(node);
            _bytes -= BytesOf(node.Value);
            node.Value = new Login(anonymousId, userId, now);
            _bytes += BytesOf(node.Value);
            _loginsByActivity.AddLast(node);
            return previous;
        }

        if (_logins.Count >= _maxSessions && _loginsByActivity.First is { } oldest)
        {
            // Pushes still held for that id were made after its login (its user's): forgotten, the login no longer keeps
            // another user's login from receiving them, so they go with it.
            if (_byId.TryGetValue(oldest.Value.AnonymousId, out var orphan))
            {
                evicted.Add(RemoveLocked(orphan, DropReason.AnonymousExpired));
            }

            ForgetLoginLocked(oldest);
        }

        var login = new Login(anonymousId, userId, now);
        _logins[anonymousId] = _loginsByActivity.AddLast(login);
        _loginCount = _logins.Count;
        _loginsPeak = Math.Max(_loginsPeak, _loginCount);
        _bytes += BytesOf(login);

        // Forgotten after its window even if no call comes (the user id it keeps is personal data).
        StartSweepingLocked();
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

    private void ForgetLoginLocked(LinkedListNode<Login> node)
    {
        _logins.Remove(node.Value.AnonymousId);
        _loginsByActivity.Remove(node);
        _loginCount = _logins.Count;
        _bytes -= BytesOf(node.Value);
    }

    private void ForgetExpiredLoginsLocked(long now)
    {
        var cutoff = now - _retention.Ticks;
        while (_loginsByActivity.First is { } oldest && oldest.Value.LastActive <= cutoff)
        {
            ForgetLoginLocked(oldest);
        }
    }

    private void ForgetLoginsLocked()
    {
        while (_loginsByActivity.First is { } oldest)
        {
            ForgetLoginLocked(oldest);
        }
    }

    /// <summary>
    /// Makes room within <see cref="GrowlyticsOptions.MaxQueueBytes"/> for what was just added: the least recently active
    /// goes first, whether held attributes (counted as dropped) or a remembered login (forgotten), but never
    /// <paramref name="keptHeld"/> or <paramref name="keptLogin"/> (the visitor being served).
    /// </summary>
    private Tally MakeRoomLocked(LinkedListNode<Entry>? keptHeld, LinkedListNode<Login>? keptLogin)
    {
        Tally evicted = default;
        while (_bytes > _maxBytes)
        {
            var held = _byActivity.First is { } first && first != keptHeld ? first : null;
            var login = _loginsByActivity.First is { } oldest && oldest != keptLogin ? oldest : null;
            if (login is not null && (held is null || login.Value.LastActive < held.Value.LastActive))
            {
                ForgetLoginLocked(login);
            }
            else if (held is not null)
            {
                evicted.Add(RemoveLocked(held, DropReason.AnonymousExpired));
            }
            else
            {
                break;
            }
        }

        return evicted;
    }

    private static long BytesOf(Login login) => LoginOverhead + (2L * (login.AnonymousId.Length + login.UserId.Length));

    private readonly record struct Login(string AnonymousId, string UserId, long LastActive);
}
