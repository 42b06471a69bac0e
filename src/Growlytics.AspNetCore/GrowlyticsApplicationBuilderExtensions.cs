using GrowlyticsSdk;
using GrowlyticsSdk.AspNetCore;
using Microsoft.Extensions.DependencyInjection;

// Extension methods on IApplicationBuilder live in its namespace, where apps look for them.
namespace Microsoft.AspNetCore.Builder;

/// <summary>Adds the Growlytics per-request user scope to an ASP.NET Core pipeline.</summary>
public static class GrowlyticsApplicationBuilderExtensions
{
    /// <summary>
    /// Opens one Growlytics user scope per request, so <c>Growlytics.User</c> in controllers, minimal APIs and work
    /// they start means this request's user, never another's. Place it after authentication (to use the
    /// principal's id) and before the endpoints. Requires <c>services.AddGrowlytics(...)</c>. Added more than once to a
    /// pipeline, the first one reached scopes each request (with its options) and the others let the request through.
    /// </summary>
    /// <param name="app">The application.</param>
    /// <returns>The application.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="app"/> is <see langword="null"/>.</exception>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">
    /// The options given to <c>AddGrowlytics</c> break a rule: the client is created here, when the pipeline is built (before
    /// the host starts), and the message lists every problem, as the host's start-up check does.
    /// </exception>
    /// <exception cref="ArgumentException">
    /// The <c>GROWLYTICS_ENDPOINT</c> environment variable fills the endpoint and is not an absolute URI.
    /// </exception>
    /// <exception cref="InvalidOperationException">
    /// <c>AddGrowlytics</c> was not called, or a configuration value it reads could not be parsed.
    /// </exception>
    public static IApplicationBuilder UseGrowlytics(this IApplicationBuilder app) => app.UseGrowlytics(new GrowlyticsMiddlewareOptions());

    /// <summary>Opens one Growlytics user scope per request, configured by <paramref name="configure"/>.</summary>
    /// <param name="app">The application.</param>
    /// <param name="configure">Where the anonymous id and the user id come from.</param>
    /// <returns>The application.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="app"/> or <paramref name="configure"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">
    /// <see cref="GrowlyticsMiddlewareOptions.AnonymousIdCookieName"/> or <see cref="GrowlyticsMiddlewareOptions.AnonymousIdHeaderName"/>
    /// is set to a name that is not an HTTP token, or <see cref="GrowlyticsMiddlewareOptions.UserIdClaimType"/> is blank while
    /// <see cref="GrowlyticsMiddlewareOptions.UseAuthenticatedUser"/> is <see langword="true"/>; or the
    /// <c>GROWLYTICS_ENDPOINT</c> environment variable fills the endpoint and is not an absolute URI.
    /// </exception>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">
    /// The options given to <c>AddGrowlytics</c> break a rule: the client is created here, when the pipeline is built (before
    /// the host starts), and the message lists every problem.
    /// </exception>
    /// <exception cref="InvalidOperationException">
    /// <c>AddGrowlytics</c> was not called, or a configuration value it reads could not be parsed.
    /// </exception>
    public static IApplicationBuilder UseGrowlytics(this IApplicationBuilder app, Action<GrowlyticsMiddlewareOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        var options = new GrowlyticsMiddlewareOptions();
        configure(options);
        if (Problem(options) is { } problem)
        {
            throw new ArgumentException(problem, nameof(configure));
        }

        return app.UseGrowlytics(options);
    }

    private static IApplicationBuilder UseGrowlytics(this IApplicationBuilder app, GrowlyticsMiddlewareOptions options)
    {
        ArgumentNullException.ThrowIfNull(app);
        if (app.ApplicationServices.GetService<GrowlyticsClient>() is null)
        {
            throw new InvalidOperationException("UseGrowlytics needs a GrowlyticsClient: call builder.Services.AddGrowlytics(...) first.");
        }

        return app.UseMiddleware<GrowlyticsMiddleware>(options);
    }

    // Checked here, when the pipeline is built: a cookie name that is not a token cannot be written (every new visitor's
    // request would fail when the response starts), and a header name that is not one never arrives. The messages name the
    // option and the rule, not the value.
    private static string? Problem(GrowlyticsMiddlewareOptions options)
    {
        if (options.AnonymousIdCookieName is { } cookie && !IsToken(cookie))
        {
            return "GrowlyticsMiddlewareOptions.AnonymousIdCookieName must be a cookie name that is an HTTP token: letters, digits and !#$%&'*+-.^_`|~, no spaces, no ';' or '=' (leave it null for no cookie).";
        }

        if (options.AnonymousIdHeaderName is { } header && !IsToken(header))
        {
            return "GrowlyticsMiddlewareOptions.AnonymousIdHeaderName must be a header name that is an HTTP token: letters, digits and !#$%&'*+-.^_`|~, no spaces or ':' (leave it null for no header).";
        }

        if (options.UseAuthenticatedUser && string.IsNullOrWhiteSpace(options.UserIdClaimType))
        {
            return "GrowlyticsMiddlewareOptions.UserIdClaimType must name the claim that holds the user id (such as ClaimTypes.NameIdentifier), or set UseAuthenticatedUser to false.";
        }

        return null;
    }

    // RFC 9110 token: one or more of the visible ASCII characters that are not delimiters.
    private static bool IsToken(string name) =>
        name.Length > 0 && name.All(c => c is > ' ' and < (char)0x7F && "\"(),/:;<=>?@[\\]{}".IndexOf(c, StringComparison.Ordinal) < 0);
}
