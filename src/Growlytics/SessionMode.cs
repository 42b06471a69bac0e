namespace GrowlyticsSdk;

/// <summary>Which session <c>Growlytics.User</c> means when no user scope is open in the current async flow.</summary>
public enum SessionMode
{
    /// <summary>
    /// One process-wide session, for apps with one user (console, desktop, mobile). The default for
    /// <see cref="Growlytics.Initialize(GrowlyticsOptions)"/>.
    /// </summary>
    ProcessWide = 0,

    /// <summary>
    /// No process-wide session: using the current user outside a scope throws, so that one request can never
    /// write to another's user. The default for <c>AddGrowlytics</c>; open scopes with the ASP.NET Core
    /// middleware (<c>app.UseGrowlytics()</c>) or <see cref="Growlytics.BeginScope()"/>.
    /// </summary>
    RequireScope = 1,
}
