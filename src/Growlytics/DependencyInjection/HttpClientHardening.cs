using GrowlyticsSdk.Delivery;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Http;
using Microsoft.Extensions.Options;

namespace GrowlyticsSdk.DependencyInjection;

/// <summary>
/// Configures the named <c>IHttpClientFactory</c> client that <c>AddGrowlytics</c> registers: a primary handler that
/// follows no redirect and (when it is a <c>SocketsHttpHandler</c>) adds no <c>traceparent</c>; no <c>Microsoft.Extensions.Http</c> request logging
/// by default (the SDK's own HTTP stays quiet in the host); no timeout of its own (the SDK's
/// per-attempt <see cref="GrowlyticsOptions.RequestTimeout"/> applies); and the API key header added by
/// <see cref="ApiKeyHandler"/> right before the primary handler, inside the loggers of anyone who adds that logging back with
/// <c>AddDefaultLogger()</c> (also marked for redaction in their text). The primary handler's connections per server are
/// read as it is hardened (<see cref="PrimaryHandlerConnections"/>).
/// </summary>
internal static class HttpClientHardening
{
    public static IHttpClientBuilder Apply(IServiceCollection services, IHttpClientBuilder builder)
    {
        // The SDK times each attempt itself (GrowlyticsOptions.RequestTimeout, up to 10 minutes): the factory's default of
        // 100 seconds would cut a longer one short. An app that sets its own Timeout keeps it, before or after this call.
        var before = services.Count;
        builder.ConfigurePrimaryHttpMessageHandler(DefaultHttpClient.CreateHandler)
            .ConfigureHttpClient(static http => http.Timeout = Timeout.InfiniteTimeSpan)
            .RemoveAllLoggers();
        RunBeforeTheAppsOwn(services, before, builder.Name);

        // Post-configured, so it applies after the app's own configuration of this client: a primary handler the app
        // sets later is hardened and given the key too, and a redaction list the app sets later still redacts the key.
        // Its connection limit is read there too: the client sends no more requests at once than it has connections for.
        services.TryAddSingleton<PrimaryHandlerConnections>();
        services.TryAddSingleton<KeyHandlerWatch>();
        services.AddOptions<HttpClientFactoryOptions>(builder.Name).PostConfigure<PrimaryHandlerConnections, KeyHandlerWatch>((options, connections, watch) =>
        {
            var appRule = options.ShouldRedactHeaderValue;
            options.ShouldRedactHeaderValue = header => IsApiKeyHeader(header) || (appRule?.Invoke(header) ?? false);
            options.HttpMessageHandlerBuilderActions.Add(handlers =>
            {
                DefaultHttpClient.Harden(handlers.PrimaryHandler);
                connections.Record(handlers.PrimaryHandler);
                handlers.PrimaryHandler = new ApiKeyHandler(handlers.PrimaryHandler, watch);
            });
        });
        return builder;
    }

    // The SDK's settings of its client are defaults: configuration of this client that the app (or a shared "service
    // defaults" extension) registered before AddGrowlytics runs after them, as configuration registered after does, and
    // wins. Registered after it, they replaced its primary handler (a proxy, a client certificate, its connections per
    // server) and its timeout without a word. The app-wide defaults (ConfigureHttpClientDefaults), which
    // Microsoft.Extensions.Http keeps ahead of every client's own configuration, still come first. A configuration whose
    // client cannot be told (made by a factory or a type of the app's) is taken as possibly this client's.
    private static void RunBeforeTheAppsOwn(IServiceCollection services, int added, string name)
    {
        var first = -1;
        for (var i = 0; i < added && first < 0; i++)
        {
            if (MayConfigure(services[i], name))
            {
                first = i;
            }
        }

        if (first < 0)
        {
            return;
        }

        var ours = new List<ServiceDescriptor>();
        for (var i = added; i < services.Count; i++)
        {
            if (services[i].ServiceType == typeof(IConfigureOptions<HttpClientFactoryOptions>))
            {
                ours.Add(services[i]);
            }
        }

        foreach (var descriptor in ours)
        {
            services.Remove(descriptor);
        }

        for (var i = 0; i < ours.Count; i++)
        {
            services.Insert(first + i, ours[i]);
        }
    }

    private static bool MayConfigure(ServiceDescriptor descriptor, string name) =>
        descriptor.ServiceType == typeof(IConfigureOptions<HttpClientFactoryOptions>)
        && !descriptor.IsKeyedService
        && (descriptor.ImplementationInstance is not ConfigureNamedOptions<HttpClientFactoryOptions> named || named.Name == name);

    private static bool IsApiKeyHeader(string header) => string.Equals(header, ApiKeyHandler.Header, StringComparison.OrdinalIgnoreCase);
}
