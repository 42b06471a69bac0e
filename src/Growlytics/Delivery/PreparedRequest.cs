namespace GrowlyticsSdk.Delivery;

/// <summary>
/// A request built ahead of its send (its body written and compressed while the request before it was on the wire). The
/// first of its attempts that goes on the wire uses it only if it was built at most <see cref="MaxAge"/> before, so the
/// <c>sentAt</c> it carries is at most that early; otherwise the request is built again. Used once.
/// </summary>
internal sealed class PreparedRequest : IDisposable
{
    /// <summary>The oldest a request built ahead may be when it is sent.</summary>
    public static readonly TimeSpan MaxAge = TimeSpan.FromMilliseconds(100);

    private readonly TimeProvider _time;
    private readonly long _builtAt;
    private HttpRequestMessage? _request;

    /// <param name="request">The request, its body built with the time read at <paramref name="builtAt"/>.</param>
    /// <param name="time">The clock <paramref name="builtAt"/> was read from.</param>
    /// <param name="builtAt">The timestamp taken when its <c>sentAt</c> was read, before the body was built.</param>
    public PreparedRequest(HttpRequestMessage request, TimeProvider time, long builtAt)
    {
        _request = request;
        _time = time;
        _builtAt = builtAt;
    }

    /// <summary>Gets a value indicating whether an attempt took the request.</summary>
    public bool Used { get; private set; }

    /// <summary>Takes the request if it is recent enough (once); otherwise disposes it and returns <see langword="null"/>.</summary>
    public HttpRequestMessage? Take()
    {
        var request = Interlocked.Exchange(ref _request, null);
        if (request is null)
        {
            return null;
        }

        if (_time.GetElapsedTime(_builtAt) <= MaxAge)
        {
            Used = true;
            return request;
        }

        request.Dispose();
        return null;
    }

    public void Dispose() => Interlocked.Exchange(ref _request, null)?.Dispose();
}
