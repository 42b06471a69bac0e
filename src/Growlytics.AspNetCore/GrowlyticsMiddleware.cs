using Microsoft.AspNetCore.Http;

namespace GrowlyticsSdk.AspNetCore;

/// <summary>
/// Opens one user scope per request and closes it when the request ends. When the facade has another client (one that
/// <c>Growlytics.Initialize</c> made before the host started, or another host's) or none, the facade uses this host's
/// client for the request, as <see cref="Growlytics.UseClient"/> does: <c>Growlytics.User</c> is then the request's
/// scope, never the other client's process-wide session that every request would share.
/// </summary>
internal sealed class GrowlyticsMiddleware
{
    private readonly RequestDelegate _next;
    private readonly GrowlyticsClient _client;
    private readonly GrowlyticsMiddlewareOptions _options;

    public GrowlyticsMiddleware(RequestDelegate next, GrowlyticsClient client, GrowlyticsMiddlewareOptions options)
    {
        _next = next;
        _client = client;
        _options = options;
    }

    public async Task InvokeAsync(HttpContext context)
    {
        var anonymousId = ReadAnonymousId(context);
        var userId = ReadUserId(context);
        // Both ids were checked above, so this cannot throw.
        using var scope = _client.BeginScope(anonymousId, userId);
        using var facade = IsTheFacadesClient(_client) ? null : Growlytics.UseClient(_client);
        if (_options.AnonymousIdCookieName is { } cookie)
        {
            var user = _client.User;
            context.Response.OnStarting(() =>
            {
                // A new visitor, or a logout that rotated the id: the browser keeps the current one.
                if (!string.Equals(anonymousId, user.AnonymousId, StringComparison.Ordinal))
                {
                    context.Response.Cookies.Append(cookie, user.AnonymousId, new CookieOptions
                    {
                        HttpOnly = true,
                        Secure = context.Request.IsHttps,
                        SameSite = SameSiteMode.Lax,
                        IsEssential = false,
                        MaxAge = TimeSpan.FromDays(365),
                    });
                }

                return Task.CompletedTask;
            });
        }

        await _next(context).ConfigureAwait(false);
    }

    private static bool IsTheFacadesClient(GrowlyticsClient client)
    {
        try
        {
            return Growlytics.IsInitialized && ReferenceEquals(Growlytics.Client, client);
        }
        catch (InvalidOperationException)
        {
            // Detached between the two reads.
            return false;
        }
    }

    private string? ReadAnonymousId(HttpContext context)
    {
        string? value = null;
        if (_options.AnonymousIdCookieName is { } cookie)
        {
            value = context.Request.Cookies[cookie];
        }

        if (value is null && _options.AnonymousIdHeaderName is { } header)
        {
            value = context.Request.Headers[header].ToString();
        }

        // Anything that is not a well-formed id (tampered, foreign) is replaced by a fresh one.
        return GrowlyticsClient.IsValidAnonymousId(value) ? value : null;
    }

    private string? ReadUserId(HttpContext context)
    {
        if (!_options.UseAuthenticatedUser || context.User.Identity?.IsAuthenticated != true)
        {
            return null;
        }

        var id = context.User.FindFirst(_options.UserIdClaimType)?.Value;
        // An id the SDK would refuse (blank, too long) leaves the request anonymous rather than failing it.
        return GrowlyticsClient.IsValidUserId(id) ? id : null;
    }
}
