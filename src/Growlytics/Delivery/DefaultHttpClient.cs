using System.Net;

namespace GrowlyticsSdk.Delivery;

/// <summary>The HTTP client the SDK uses when the app supplies none.</summary>
internal static class DefaultHttpClient
{
#if !NET8_0_OR_GREATER
    // One handler for the process: connections are pooled and sockets are not exhausted by many clients.
    private static readonly HttpClientHandler SharedHandler = new() { AutomaticDecompression = DecompressionMethods.GZip | DecompressionMethods.Deflate };
#endif

    public static HttpClient Create()
    {
#if NET8_0_OR_GREATER
        // A long-lived client whose pooled connections are recycled, so DNS changes are picked up.
        var handler = new SocketsHttpHandler
        {
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            AutomaticDecompression = DecompressionMethods.All,
            ConnectTimeout = TimeSpan.FromSeconds(15),
        };
        return new HttpClient(handler, disposeHandler: true) { Timeout = Timeout.InfiniteTimeSpan };
#else
        return new HttpClient(SharedHandler, disposeHandler: false) { Timeout = Timeout.InfiniteTimeSpan };
#endif
    }
}
