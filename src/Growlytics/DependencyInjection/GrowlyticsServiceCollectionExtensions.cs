using GrowlyticsSdk;
using GrowlyticsSdk.Configuration;
using GrowlyticsSdk.Delivery;
using GrowlyticsSdk.DependencyInjection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

// Extension methods on IServiceCollection live in its namespace, where hosts look for them.
namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers Growlytics in a dependency injection container.</summary>
public static class GrowlyticsServiceCollectionExtensions
{
    /// <summary>Registers Growlytics configured from the <c>Growlytics</c> configuration section.</summary>
    /// <param name="services">The container.</param>
    /// <returns>The builder of the Growlytics HTTP client, to configure it further.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="services"/> is <see langword="null"/>.</exception>
    /// <seealso cref="AddGrowlytics(IServiceCollection, Action{GrowlyticsOptions})"/>
    public static IHttpClientBuilder AddGrowlytics(this IServiceCollection services) =>
        AddGrowlyticsCore(services, section: null, configure: null);

    /// <summary>
    /// Registers a singleton <see cref="GrowlyticsClient"/> configured from the <c>Growlytics</c> configuration section
    /// and then <paramref name="configure"/>; HTTP goes through <c>IHttpClientFactory</c> (client name
    /// <see cref="GrowlyticsClient.HttpClientName"/>); options are validated at start-up; the client becomes the
    /// <see cref="Growlytics"/> facade's client while the host runs (unless <c>Growlytics.Initialize</c> gave the facade a
    /// client first: the facade keeps that one, and a warning, event 1011, says so; a client another host's gave it first is
    /// followed by this one when that host stops) and is flushed when the host stops, or
    /// when the container is disposed without a host.
    /// The HTTP client follows no redirect, sends no trace-context headers (.NET 8+), writes no per-request logs
    /// (<c>AddDefaultLogger()</c> on the returned builder brings them back, with the API key header redacted). These are
    /// defaults: what the app configures for this client by its name, before this call or after it (on the returned
    /// builder), wins. A primary handler configured so is hardened the same way when it is a <c>SocketsHttpHandler</c>; an
    /// <c>HttpClientHandler</c> follows no redirect but may send trace headers; one of another type is used as it is
    /// (give it <c>AllowAutoRedirect = false</c>). No more requests are sent at once than the primary handler's
    /// <c>MaxConnectionsPerServer</c> (a <c>SocketsHttpHandler</c> or an <c>HttpClientHandler</c>; see
    /// <see cref="GrowlyticsOptions.MaxConcurrentRequests"/>).
    /// The session mode defaults to <see cref="SessionMode.RequireScope"/>.
    /// </summary>
    /// <param name="services">The container.</param>
    /// <param name="configure">Changes applied after configuration binding.</param>
    /// <returns>The builder of the Growlytics HTTP client, to configure it further.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="services"/> or <paramref name="configure"/> is <see langword="null"/>.</exception>
    public static IHttpClientBuilder AddGrowlytics(this IServiceCollection services, Action<GrowlyticsOptions> configure)
    {
        if (configure is null)
        {
            throw new ArgumentNullException(nameof(configure));
        }

        return AddGrowlyticsCore(services, section: null, configure);
    }

    /// <summary>Registers Growlytics as <see cref="AddGrowlytics(IServiceCollection, Action{GrowlyticsOptions})"/> does, binding the given configuration section.</summary>
    /// <param name="services">The container.</param>
    /// <param name="configuration">
    /// The section holding <c>ApiKey</c>, <c>Endpoint</c> and the other settings, such as
    /// <c>builder.Configuration.GetSection("Growlytics")</c> (not the configuration root: the options' validation says so).
    /// </param>
    /// <returns>The builder of the Growlytics HTTP client, to configure it further.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="services"/> or <paramref name="configuration"/> is <see langword="null"/>.</exception>
    public static IHttpClientBuilder AddGrowlytics(this IServiceCollection services, IConfiguration configuration)
    {
        if (configuration is null)
        {
            throw new ArgumentNullException(nameof(configuration));
        }

        return AddGrowlyticsCore(services, configuration, configure: null);
    }

    private static IHttpClientBuilder AddGrowlyticsCore(IServiceCollection services, IConfiguration? section, Action<GrowlyticsOptions>? configure)
    {
        if (services is null)
        {
            throw new ArgumentNullException(nameof(services));
        }

        // One options registration for all calls: a second AddGrowlytics (the app's, and a shared "service defaults"
        // extension's) adds its section and delegate to the first's, so configuration is bound once, before every call's
        // delegate, which apply in call order (a second binding used to undo the first call's code, session mode included).
        // Each call registers a new list (the earlier calls' and its own) in place of the last: a collection copied from
        // this one (a child container, a test host) and given a call of its own does not change this one's options.
        var existing = services.FirstOrDefault(d => d.ServiceType == typeof(GrowlyticsRegistrations));
        var previous = existing?.ImplementationInstance as GrowlyticsRegistrations;
        var first = previous is null;
        var registrations = new GrowlyticsRegistrations(previous, section, configure);
        if (existing is not null)
        {
            services.Remove(existing);
        }

        services.AddSingleton(registrations);
        if (first)
        {
            // The host's defaults go ahead of every configuration of the options, so they stay defaults: an app's
            // Configure registered before this call keeps what it set and the section does not hold.
            services.Insert(0, ServiceDescriptor.Singleton<IConfigureOptions<GrowlyticsOptions>>(
                new ConfigureNamedOptions<GrowlyticsOptions>(Microsoft.Extensions.Options.Options.DefaultName, GrowlyticsRegistrations.ApplyHostDefaults)));
            services.AddOptions<GrowlyticsOptions>()
                .Configure<IServiceProvider>(static (options, provider) => provider.GetRequiredService<GrowlyticsRegistrations>().Apply(options, provider))
                .ValidateOnStart();
        }

        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<GrowlyticsOptions>, GrowlyticsOptionsValidator>());
        services.TryAddSingleton(CreateClient);
        // First of the hosted services, wherever AddGrowlytics is called: a host starts them in registration order and stops
        // them in reverse, so the client is the facade's before any other's StartingAsync (or, on an older host, StartAsync)
        // and shut down after every other's StoppedAsync (or StopAsync). Appended, a lifecycle service registered before it
        // found no facade client as it started, and what it sent in StoppedAsync was dropped.
        if (!services.Any(static d => d.ServiceType == typeof(IHostedService) && !d.IsKeyedService && d.ImplementationType == typeof(GrowlyticsHostedService)))
        {
            services.Insert(0, ServiceDescriptor.Singleton<IHostedService, GrowlyticsHostedService>());
        }

        Growlytics.OnHostRegistered();
        // Hardened once: hardening again would put the SDK's primary handler back over one the app configured after the first call.
        var http = services.AddHttpClient(GrowlyticsClient.HttpClientName);
        return first ? HttpClientHardening.Apply(services, http) : http;
    }

    private static GrowlyticsClient CreateClient(IServiceProvider provider)
    {
        var options = provider.GetRequiredService<IOptions<GrowlyticsOptions>>().Value.Clone();
        HttpClient? last = null;
        if (options.HttpClient is null)
        {
            var factory = provider.GetRequiredService<IHttpClientFactory>();

            // Asked per request, so the factory can rotate handlers (DNS changes, connection lifetime). A container disposed
            // without a host disposes this client after it can no longer make handlers (it can make no scope then): the
            // shutdown's last requests go through the handler last made, one made here if none was made since.
            last = factory.CreateClient(GrowlyticsClient.HttpClientName);

            // Its primary handler is built by now, and its connections per server read (HTTP/1.1: one request per connection;
            // a client held to HTTP/2 or later multiplexes its requests on a connection, and is not capped by it). One that
            // asks for HTTP/2 with the default policy, RequestVersionOrLower, gets HTTP/1.1 from a server that offers no h2
            // (and always over plain http): capped as HTTP/1.1, or its requests waited for a connection while their
            // RequestTimeout ran.
            var connections = provider.GetService<PrimaryHandlerConnections>()?.Limit;
#if NET8_0_OR_GREATER
            if (last.DefaultRequestVersion.Major >= 2 && last.DefaultVersionPolicy != HttpVersionPolicy.RequestVersionOrLower)
            {
                connections = null;
            }
#endif
            options.HttpClientProviderConnectionLimit = connections;

            // Whether its handlers hold the key handler (a primary handler the app set after the SDK's configuration may
            // have left it out): a request it never saw was then answered by an app's handler, not sent without the key.
            if (provider.GetService<KeyHandlerWatch>() is { } watch && provider.GetService<IHttpMessageHandlerFactory>() is { } handlers)
            {
                watch.Inspect(handlers.CreateHandler(GrowlyticsClient.HttpClientName));
                options.KeyHandlerWatch = watch;
            }
            options.HttpClientProvider = () =>
            {
                try
                {
                    var created = factory.CreateClient(GrowlyticsClient.HttpClientName);
                    Volatile.Write(ref last, created);
                    return created;
                }
                catch (ObjectDisposedException)
                {
                    return Volatile.Read(ref last) ?? throw new ObjectDisposedException(nameof(GrowlyticsClient));
                }
            };
        }

        options.LoggerFactory ??= provider.GetService<Microsoft.Extensions.Logging.ILoggerFactory>();
        options.MeterFactory = provider.GetService<System.Diagnostics.Metrics.IMeterFactory>();
        if (ReferenceEquals(options.TimeProvider, TimeProvider.System) && provider.GetService<TimeProvider>() is { } time)
        {
            options.TimeProvider = time;
        }

        var client = new GrowlyticsClient(options);
        if (options.UnreadConfigurationKeys.Length > 0)
        {
            GrowlyticsSdk.Diagnostics.Log.UnreadConfigurationKeys(client.Logger, string.Join(", ", options.UnreadConfigurationKeys));
        }

        if (options.TimeKeysReadAsDays.Length > 0)
        {
            GrowlyticsSdk.Diagnostics.Log.TimesReadAsDays(client.Logger, string.Join(", ", options.TimeKeysReadAsDays));
        }

        if (last is not null)
        {
            // Let go once the client has shut down: the factory tracks the handler of a client still referenced, and its
            // cleanup timer would keep the factory, the container and this client alive for good.
            client.AfterShutdown = () => Volatile.Write(ref last, null);
        }

        return client;
    }
}
