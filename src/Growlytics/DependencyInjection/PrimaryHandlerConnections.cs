using GrowlyticsSdk.Delivery;

namespace GrowlyticsSdk.DependencyInjection;

/// <summary>
/// How many connections per server the primary handler <c>IHttpClientFactory</c> built for <c>AddGrowlytics</c>' client
/// opens (<see cref="DefaultHttpClient.ConnectionLimit"/>), read where the SDK hardens that handler; one per container.
/// The factory builds the handler when the client is first asked for, before <see cref="GrowlyticsClient"/> is created,
/// which caps its requests in flight at it.
/// </summary>
internal sealed class PrimaryHandlerConnections
{
    private int _limit;

    /// <summary>Gets the latest handler's limit, or <see langword="null"/> if none was read (a handler of another type).</summary>
    public int? Limit => Volatile.Read(ref _limit) is > 0 and var limit ? limit : null;

    public void Record(HttpMessageHandler primary) => Volatile.Write(ref _limit, DefaultHttpClient.ConnectionLimit(primary) ?? 0);
}
