namespace GrowlyticsSdk;

/// <summary>The wire protocol a <see cref="GrowlyticsClient"/> speaks (see <c>docs/wire-protocol.md</c>).</summary>
public enum GrowlyticsProtocol
{
    /// <summary>
    /// Growlytics' documented customer API: <c>POST {Endpoint}rest-api/customer</c>, one customer per request, no
    /// anonymous profiles (anonymous attributes are held and sent with the login).
    /// </summary>
    Rest = 0,

    /// <summary>
    /// The SDK's own batch body, <c>POST {Endpoint}events/sdk-batch</c> (up to <see cref="GrowlyticsOptions.MaxBatchSize"/>
    /// messages, gzip). For collectors that implement it, such as the quickstart's or a relay; Growlytics itself does not serve it.
    /// </summary>
    Batch = 1,
}
