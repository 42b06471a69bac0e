using GrowlyticsSdk.Protocols.Batch;

namespace GrowlyticsSdk.Protocols;

/// <summary>Creates the protocol an options object asks for.</summary>
internal static class WireProtocols
{
    public static IWireProtocol Create(GrowlyticsOptions options) => options.Protocol switch
    {
        _ => new BatchProtocol(options),
    };

    /// <summary>The endpoint with a trailing slash, so relative paths append to it.</summary>
    public static Uri BaseOf(Uri endpoint) =>
        endpoint.AbsoluteUri.EndsWith("/", StringComparison.Ordinal) ? endpoint : new Uri(endpoint.AbsoluteUri + "/");
}
