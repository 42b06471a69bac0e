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
    /// principal's id) and before the endpoints. Requires <c>services.AddGrowlytics(...)</c>.
    /// </summary>
    /// <param name="app">The application.</param>
    /// <returns>The application.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="app"/> is <see langword="null"/>.</exception>
    /// <exception cref="InvalidOperationException"><c>AddGrowlytics</c> was not called.</exception>
    public static IApplicationBuilder UseGrowlytics(this IApplicationBuilder app) => app.UseGrowlytics(new GrowlyticsMiddlewareOptions());

    /// <summary>Opens one Growlytics user scope per request, configured by <paramref name="configure"/>.</summary>
    /// <param name="app">The application.</param>
    /// <param name="configure">Where the anonymous id and the user id come from.</param>
    /// <returns>The application.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="app"/> or <paramref name="configure"/> is <see langword="null"/>.</exception>
    /// <exception cref="InvalidOperationException"><c>AddGrowlytics</c> was not called.</exception>
    public static IApplicationBuilder UseGrowlytics(this IApplicationBuilder app, Action<GrowlyticsMiddlewareOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        var options = new GrowlyticsMiddlewareOptions();
        configure(options);
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
}
