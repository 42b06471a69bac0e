using System.Security.Claims;

namespace GrowlyticsSdk.AspNetCore;

/// <summary>How <c>app.UseGrowlytics()</c> finds each request's user.</summary>
public sealed class GrowlyticsMiddlewareOptions
{
    /// <summary>
    /// Gets or sets the cookie that carries the visitor's anonymous id. When set, the middleware reads it, and
    /// writes it back when the id is new or changed (after a logout), when the response starts; a new visitor gets no
    /// cookie while the client is opted out.
    /// </summary>
    /// <value>Defaults to <see langword="null"/>: no cookie.</value>
    public string? AnonymousIdCookieName { get; set; }

    /// <summary>
    /// Gets or sets a request header that carries the anonymous id (for API clients that keep it themselves). With a cookie
    /// configured too, the header's id is used when the cookie carries no valid id.
    /// </summary>
    /// <value>Defaults to <see langword="null"/>: no header.</value>
    public string? AnonymousIdHeaderName { get; set; }

    /// <summary>
    /// Gets or sets a value indicating whether an authenticated request starts identified as the principal's user,
    /// so <c>Push</c> reaches that user without an explicit <c>Identify</c>.
    /// </summary>
    /// <value>Defaults to <see langword="true"/>.</value>
    public bool UseAuthenticatedUser { get; set; } = true;

    /// <summary>Gets or sets the claim that holds the user id.</summary>
    /// <value>Defaults to <see cref="ClaimTypes.NameIdentifier"/>.</value>
    public string UserIdClaimType { get; set; } = ClaimTypes.NameIdentifier;
}
