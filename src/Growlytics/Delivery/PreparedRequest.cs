namespace GrowlyticsSdk.Delivery;

/// <summary>
/// A request built ahead of its send (its body written and compressed while the request before it was on the wire): the
/// dispatcher's loop starts building it on a pool thread and goes on. The first of its attempts that goes on the wire
/// waits for the build if it is still running, and uses the request only if it was built at most <see cref="MaxAge"/>
/// before, so the <c>sentAt</c> it carries is at most that early; otherwise the request is built again. Used once. Both
/// clocks must say so: on Linux and macOS the monotonic clock stands still while the machine sleeps, so a request built
/// just before a laptop slept was still "recent" on waking, and carried a <c>sentAt</c> hours old (one set back is rebuilt
/// too: its <c>sentAt</c> is ahead of the wall clock).
/// </summary>
internal sealed class PreparedRequest : IDisposable
{
    /// <summary>The oldest a request built ahead may be when it is sent.</summary>
    public static readonly TimeSpan MaxAge = TimeSpan.FromMilliseconds(100);

    private static readonly Task<HttpRequestMessage?> None = Task.FromResult<HttpRequestMessage?>(null);

    private readonly TimeProvider _time;
    private readonly long _builtAt;
    private readonly DateTimeOffset _builtAtWall;
    private readonly Task<HttpRequestMessage?> _build;
    private int _taken;

    /// <param name="build">
    /// Builds the request, its body built with the time read at <paramref name="builtAt"/>; ends with
    /// <see langword="null"/> rather than a fault if it could not (the attempt builds it again, and handles the fault).
    /// </param>
    /// <param name="time">The clock <paramref name="builtAt"/> was read from.</param>
    /// <param name="builtAt">The timestamp taken when its <c>sentAt</c> was read, before the body was built.</param>
    public PreparedRequest(Task<HttpRequestMessage?> build, TimeProvider time, long builtAt)
    {
        _build = build;
        _time = time;
        _builtAt = builtAt;

        // Read just after the sentAt the build uses (microseconds apart, against a MaxAge of 100 ms).
        _builtAtWall = time.GetUtcNow();
    }

    /// <summary>Gets a value indicating whether the request is still being built (what it is built from is still read).</summary>
    public bool IsBuilding => !_build.IsCompleted;

    /// <summary>Gets a task that completes when the build has ended (it never faults).</summary>
    public Task Built => _build;

    /// <summary>Gets a value indicating whether an attempt took the request.</summary>
    public bool Used { get; private set; }

    /// <summary>
    /// Takes the request once it is built, if it is recent enough (once); otherwise disposes it (when its build ends) and
    /// returns <see langword="null"/> without waiting for the build, as it does if the build failed or the request was
    /// taken or disposed before.
    /// </summary>
    public Task<HttpRequestMessage?> TakeAsync()
    {
        if (Interlocked.Exchange(ref _taken, 1) != 0)
        {
            return None;
        }

        if (!_build.IsCompleted && !IsRecent())
        {
            // Too old to be used even if it were built now (its build waited for a busy pool): not waited for.
            _ = DisposeWhenBuiltAsync();
            return None;
        }

        // Completes at once when the build has ended.
        return AcceptWhenBuiltAsync();
    }

    /// <summary>Disposes the request, at once or when its build ends, unless an attempt took it.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _taken, 1) == 0)
        {
            _ = DisposeWhenBuiltAsync();
        }
    }

    // The build never faults (it ends with no request instead).
    private async Task DisposeWhenBuiltAsync() => (await _build.ConfigureAwait(false))?.Dispose();

    private async Task<HttpRequestMessage?> AcceptWhenBuiltAsync() => Accept(await _build.ConfigureAwait(false));

    private HttpRequestMessage? Accept(HttpRequestMessage? request)
    {
        if (request is null)
        {
            return null;
        }

        if (IsRecent())
        {
            Used = true;
            return request;
        }

        request.Dispose();
        return null;
    }

    // Recent by the monotonic clock and by the wall clock (its sentAt neither hours old after a sleep, nor in the future
    // after the clock was set back).
    private bool IsRecent()
    {
        if (_time.GetElapsedTime(_builtAt) > MaxAge)
        {
            return false;
        }

        var wall = _time.GetUtcNow() - _builtAtWall;
        return wall <= MaxAge && wall >= -MaxAge;
    }
}
