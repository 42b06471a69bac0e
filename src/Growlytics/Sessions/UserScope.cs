namespace GrowlyticsSdk.Sessions;

/// <summary>
/// A user session bound to the current async flow. Disposing it restores the session that was current
/// when it began (the enclosing scope, or the process-wide session), skipping enclosing scopes already disposed (scopes
/// disposed out of order).
/// </summary>
internal sealed class UserScope : IDisposable
{
    private readonly AsyncLocal<UserScope?> _current;
    private int _disposed;

    public UserScope(AsyncLocal<UserScope?> current, GrowlyticsUser user)
    {
        _current = current;
        User = user;
        Parent = current.Value;
        current.Value = this;
    }

    public GrowlyticsUser User { get; }

    public UserScope? Parent { get; }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        // Only the flow that holds this scope as current unwinds it; a flow that copied it earlier
        // (work started with Task.Run) keeps its own copy.
        if (ReferenceEquals(_current.Value, this))
        {
            var parent = Parent;
            while (parent is { IsDisposed: true })
            {
                parent = parent.Parent;
            }

            _current.Value = parent;
        }
    }

    private bool IsDisposed => Volatile.Read(ref _disposed) != 0;
}
