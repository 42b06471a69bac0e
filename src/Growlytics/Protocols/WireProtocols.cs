using GrowlyticsSdk.Protocols.Batch;
using GrowlyticsSdk.Protocols.Rest;

namespace GrowlyticsSdk.Protocols;

/// <summary>Creates the wire protocol a client's options ask for.</summary>
internal static class WireProtocols
{
    /// <exception cref="ArgumentOutOfRangeException"><see cref="GrowlyticsOptions.Protocol"/> is not a defined value.</exception>
    public static IWireProtocol Create(GrowlyticsOptions options) => options.Protocol switch
    {
        GrowlyticsProtocol.Rest => new RestProtocol(options),
        GrowlyticsProtocol.Batch => new BatchProtocol(options),
        _ => throw new ArgumentOutOfRangeException(nameof(options), options.Protocol, "Unknown protocol."),
    };
}
