using GrowlyticsSdk.Delivery;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http;

namespace GrowlyticsSdk.DependencyInjection;

/// <summary>
/// Configures the named <c>IHttpClientFactory</c> client that <c>AddGrowlytics</c> registers: a primary handler that
/// follows no redirect and (on .NET 8+, when it is a <c>SocketsHttpHandler</c>) adds no <c>traceparent</c>; no <c>Microsoft.Extensions.Http</c> request logging
/// by default (the SDK's own HTTP stays quiet in the host); no timeout of its own (the SDK's
/// per-attempt <see cref="GrowlyticsOptions.RequestTimeout"/> applies); and the API key header redacted for anyone who adds that
/// logging back with <c>AddDefaultLogger()</c>.
/// </summary>
internal static class HttpClientHardening
{
    /// <summary>The header that carries the API key.</summary>
    public const string ApiKeyHeader = "x-growlytics-key";

    public static IHttpClientBuilder Apply(IServiceCollection services, IHttpClientBuilder builder)
    {
        // The SDK times each attempt itself (GrowlyticsOptions.RequestTimeout, up to 10 minutes): the factory's default of
        // 100 seconds would cut a longer one short. An app that sets its own Timeout later keeps it.
        builder.ConfigurePrimaryHttpMessageHandler(DefaultHttpClient.CreateHandler)
            .ConfigureHttpClient(static http => http.Timeout = Timeout.InfiniteTimeSpan)
            .RemoveAllLoggers();

        // Post-configured, so it applies after the app's own configuration of this client: a primary handler the app
        // sets later is hardened too, and a redaction list the app sets later still redacts the key.
        services.PostConfigure<HttpClientFactoryOptions>(builder.Name, options =>
        {
            var appRule = options.ShouldRedactHeaderValue;
            options.ShouldRedactHeaderValue = header => IsApiKeyHeader(header) || (appRule?.Invoke(header) ?? false);
            options.HttpMessageHandlerBuilderActions.Add(handlers => DefaultHttpClient.Harden(handlers.PrimaryHandler));
        });
        return builder;
    }

    private static bool IsApiKeyHeader(string header) => string.Equals(header, ApiKeyHeader, StringComparison.OrdinalIgnoreCase);
}
