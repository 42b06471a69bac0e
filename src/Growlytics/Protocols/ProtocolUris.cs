namespace GrowlyticsSdk.Protocols;

/// <summary>Resolves a protocol's path against <see cref="GrowlyticsOptions.Endpoint"/>.</summary>
internal static class ProtocolUris
{
    /// <summary>
    /// Appends <paramref name="path"/> to the endpoint, adding a missing trailing slash first, so <c>https://host/api</c>
    /// and <c>https://host/api/</c> both resolve to <c>https://host/api/{path}</c>.
    /// </summary>
    public static Uri Resolve(Uri endpoint, string path)
    {
        var baseUri = endpoint.AbsoluteUri.EndsWith("/", StringComparison.Ordinal) ? endpoint : new Uri(endpoint.AbsoluteUri + "/");
        return new Uri(baseUri, path);
    }
}
