namespace GrowlyticsSdk.Delivery;

/// <summary>
/// Puts the API key header on a request right before the primary handler sends it: the handler <c>AddGrowlytics</c> wraps
/// around the named client's primary handler. The loggers <c>IHttpClientFactory</c> puts around the other handlers
/// (<c>AddDefaultLogger()</c>, when an app adds them back) then never see the key: Microsoft.Extensions.Http redacts a
/// header in a log entry's text but not in its structured values.
/// </summary>
internal sealed class ApiKeyHandler : DelegatingHandler
{
    /// <summary>The header that carries the API key.</summary>
    public const string Header = "x-growlytics-key";

    private const string KeyName = "Growlytics.ApiKey";

#if NET5_0_OR_GREATER
    private static readonly HttpRequestOptionsKey<string> Key = new(KeyName);
#endif

    public ApiKeyHandler(HttpMessageHandler primary)
        : base(primary)
    {
    }

    /// <summary>Gives the request the key for this handler to add; see <see cref="WasAdded"/>.</summary>
    public static void Attach(HttpRequestMessage request, string apiKey)
    {
#if NET5_0_OR_GREATER
        request.Options.Set(Key, apiKey);
#else
        request.Properties[KeyName] = apiKey;
#endif
    }

    /// <summary>
    /// Gets a value indicating whether a handler took the key given with <see cref="Attach"/> and added it: false when the
    /// request went through a pipeline without this handler (its primary handler replaced after <c>AddGrowlytics</c>
    /// configured it), that is without the key.
    /// </summary>
    public static bool WasAdded(HttpRequestMessage request) => Take(request) is null;

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (Take(request) is { } apiKey)
        {
            request.Headers.TryAddWithoutValidation(Header, apiKey);
        }

        return base.SendAsync(request, cancellationToken);
    }

    private static string? Take(HttpRequestMessage request)
    {
#if NET5_0_OR_GREATER
        var options = (IDictionary<string, object?>)request.Options;
#else
        var options = request.Properties;
#endif
        if (options.TryGetValue(KeyName, out var value) && value is string apiKey)
        {
            options.Remove(KeyName);
            return apiKey;
        }

        return null;
    }
}
