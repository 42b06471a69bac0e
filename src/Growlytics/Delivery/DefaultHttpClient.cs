using System.Net;

namespace GrowlyticsSdk.Delivery;

/// <summary>
/// The HTTP client the SDK uses when the app supplies none, and the hardening every SDK-owned handler gets:
/// redirects are never followed (the API key goes to the configured endpoint and nowhere else), requests to a loopback
/// endpoint never go through a proxy (<see cref="LoopbackBypassProxy"/>), its own handler keeps no cookies and, on .NET 8+,
/// no trace-context headers (<c>traceparent</c>) are added to requests to Growlytics.
/// </summary>
internal static class DefaultHttpClient
{
#if NET8_0_OR_GREATER
    private const bool WrapsProxies = true;
#else
    // Only where HttpClient.DefaultProxy exists (.NET Core): .NET Framework's handlers never send a loopback request
    // through a proxy, and its default proxy (with the handler's DefaultProxyCredentials) is left as it is. Declared
    // before the shared handler, whose hardening reads it (static fields are set in the order they are written).
    private static readonly bool WrapsProxies = LoopbackBypassProxy.DefaultProxy is not null;

    // One handler for the process: connections are pooled and sockets are not exhausted by many clients.
    private static readonly HttpMessageHandler SharedHandler = CreateHandler();
#endif

    public static HttpClient Create() => Create(out _);

    /// <summary>Creates the SDK's own client; <paramref name="connectionLimit"/> is its handler's (see <see cref="ConnectionLimit"/>).</summary>
    public static HttpClient Create(out int? connectionLimit)
    {
#if NET8_0_OR_GREATER
        // A long-lived client whose pooled connections are recycled, so DNS changes are picked up.
        var handler = (SocketsHttpHandler)CreateHandler();
        handler.PooledConnectionLifetime = TimeSpan.FromMinutes(5);
#else
        var handler = SharedHandler;
#endif
        connectionLimit = ConnectionLimit(handler);
#if NET8_0_OR_GREATER
        return new HttpClient(handler, disposeHandler: true) { Timeout = Timeout.InfiniteTimeSpan };
#else
        return new HttpClient(handler, disposeHandler: false) { Timeout = Timeout.InfiniteTimeSpan };
#endif
    }

    /// <summary>
    /// Gets how many connections per server the primary handler at the end of <paramref name="handler"/>'s chain opens
    /// (<c>MaxConnectionsPerServer</c> of a <c>SocketsHttpHandler</c> or an <see cref="HttpClientHandler"/>; the
    /// netstandard2.0 build reads a <c>SocketsHttpHandler</c>'s through reflection), or <see langword="null"/> when it cannot
    /// tell (a handler of another type, or one that does not say). An HTTP/1.1 request beyond that many waits inside the
    /// handler for a connection, and that wait counts against the attempt's <see cref="GrowlyticsOptions.RequestTimeout"/>:
    /// the SDK sends no more requests at once than this (see <see cref="ConcurrencyLimiter.MaxInFlight"/>).
    /// </summary>
    public static int? ConnectionLimit(HttpMessageHandler handler)
    {
        handler = Innermost(handler);

        try
        {
            switch (handler)
            {
#if NET8_0_OR_GREATER
                case SocketsHttpHandler sockets:
                    return sockets.MaxConnectionsPerServer;
#endif
                case HttpClientHandler client:
                    return client.MaxConnectionsPerServer;
#if !NET8_0_OR_GREATER
                case { } other when other.GetType().FullName == SocketsHandlerType:
                    return other.GetType().GetProperty(nameof(HttpClientHandler.MaxConnectionsPerServer))?.GetValue(other) as int?;
#endif
                default:
                    return null;
            }
        }
        catch (Exception ex) when (ex is NotSupportedException or NotImplementedException or System.Reflection.TargetInvocationException)
        {
            // A platform whose handler does not implement the property (PlatformNotSupportedException is a NotSupportedException).
            return null;
        }
    }

    /// <summary>Creates a primary handler for Growlytics requests, already hardened (see <see cref="Harden"/>).</summary>
    public static HttpMessageHandler CreateHandler()
    {
        // No automatic decompression: the answers the SDK reads are a few bytes of JSON, and without an Accept-Encoding
        // header the service sends them as they are. It cost every request a header to write and every answer a
        // handler to pass through. No cookie jar: what a collector (or a load balancer before it) sets in a cookie is never
        // sent back, so every request carries only the headers the wire protocol lists.
#if NET8_0_OR_GREATER
        var handler = new SocketsHttpHandler
        {
            AutomaticDecompression = DecompressionMethods.None,
            ConnectTimeout = TimeSpan.FromSeconds(15),
            UseCookies = false,
        };
#else
        var handler = new HttpClientHandler { AutomaticDecompression = DecompressionMethods.None, UseCookies = false };
#endif
        Harden(handler);
        return handler;
    }

    /// <summary>
    /// Turns off automatic redirects, sends requests to this machine past any proxy and (on .NET 8+,
    /// <c>SocketsHttpHandler</c> only) turns off trace-header propagation on
    /// a primary handler the SDK owns or was given through <c>IHttpClientFactory</c> (the end of its chain, when the app
    /// wrapped it in <see cref="DelegatingHandler"/>s): a <c>SocketsHttpHandler</c> or an <see cref="HttpClientHandler"/>, in
    /// either build (the netstandard2.0 build reaches a <c>SocketsHttpHandler</c> through reflection). Other handler types, and handlers
    /// already used (whose settings are frozen), are left as they are: a redirect they follow is still refused by
    /// <see cref="RedirectGuard"/>. The netstandard2.0 build's own handler is an <see cref="HttpClientHandler"/>, which has no
    /// <c>ActivityHeadersPropagator</c>, so there (.NET 6/7, .NET Framework) trace headers are sent when the app enables
    /// distributed tracing, unless the app configured a <c>SocketsHttpHandler</c>.
    /// </summary>
    public static void Harden(HttpMessageHandler handler)
    {
        // A primary handler the app wrapped in handlers of its own: the one that sends, at the end of the chain, follows
        // redirects and picks the proxy.
        handler = Innermost(handler);

        try
        {
            switch (handler)
            {
#if NET8_0_OR_GREATER
                case SocketsHttpHandler sockets:
                    sockets.AllowAutoRedirect = false;
                    sockets.ActivityHeadersPropagator = null;
                    if (sockets.UseProxy && sockets.Proxy is not LoopbackBypassProxy)
                    {
                        sockets.Proxy = new LoopbackBypassProxy(sockets.Proxy);
                    }

                    break;
#endif
                case HttpClientHandler client:
                    client.AllowAutoRedirect = false;
                    if (client.UseProxy && client.Proxy is not LoopbackBypassProxy && WrapsProxies)
                    {
                        client.Proxy = new LoopbackBypassProxy(client.Proxy);
                    }

                    break;
#if !NET8_0_OR_GREATER
                case { } other when other.GetType().FullName == SocketsHandlerType:
                    HardenSockets(other);
                    break;
#endif
            }
        }
        catch (InvalidOperationException)
        {
            // The handler has already sent a request and its settings can no longer change.
        }
    }
#if !NET8_0_OR_GREATER

    private const string SocketsHandlerType = "System.Net.Http.SocketsHttpHandler";

    // A SocketsHttpHandler an app configured for AddGrowlytics (.NET 6 and 7 use this build), which this build cannot name:
    // hardened as the net8.0 build hardens it, through its public properties.
    private static void HardenSockets(HttpMessageHandler handler)
    {
        var type = handler.GetType();
        try
        {
            type.GetProperty(nameof(HttpClientHandler.AllowAutoRedirect))?.SetValue(handler, false);
            type.GetProperty("ActivityHeadersPropagator")?.SetValue(handler, null);
            if (WrapsProxies
                && type.GetProperty(nameof(HttpClientHandler.UseProxy))?.GetValue(handler) is true
                && type.GetProperty(nameof(HttpClientHandler.Proxy)) is { } proxy
                && proxy.GetValue(handler) is not LoopbackBypassProxy)
            {
                proxy.SetValue(handler, new LoopbackBypassProxy((IWebProxy?)proxy.GetValue(handler)));
            }
        }
        catch (System.Reflection.TargetInvocationException ex) when (ex.InnerException is InvalidOperationException)
        {
            // The handler has already sent a request and its settings can no longer change.
        }
    }
#endif

    // The handler at the end of a chain of DelegatingHandlers (the one that sends); a chain deeper than 64 is cut there.
    private static HttpMessageHandler Innermost(HttpMessageHandler handler)
    {
        for (var depth = 0; handler is DelegatingHandler { InnerHandler: { } inner } && depth < 64; depth++)
        {
            handler = inner;
        }

        return handler;
    }
}
