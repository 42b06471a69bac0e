using System.Net;
using GrowlyticsSdk.Diagnostics;
using Microsoft.Extensions.Logging;

namespace GrowlyticsSdk.Delivery;

/// <summary>
/// Refuses redirects: a 3xx answer, or a redirect an app-supplied <see cref="HttpClient"/> followed on its own, is a
/// failed request. It is neither a delivery nor retried; the sender drops its messages as
/// <see cref="DropReason.Rejected"/> (with storage too, so nothing waits forever for a redirect to go away).
/// Logs carry the status and the <c>Location</c> host only: a URL may carry tokens in its path or query.
/// </summary>
internal sealed class RedirectGuard
{
    private static readonly TimeSpan LogInterval = TimeSpan.FromMinutes(1);
    private readonly ILogger _logger;
    private readonly LogRateLimiter _refusedReports;
    private int _followedWarned;

    public RedirectGuard(TimeProvider time, ILogger logger)
    {
        _logger = logger;
        _refusedReports = new LogRateLimiter(time, LogInterval);
    }

    /// <summary>Gets a value indicating whether <paramref name="status"/> is a redirect status, which the sender settles as refused.</summary>
    public static bool IsRedirect(int status) => status is >= 300 and < 400;

    /// <summary>
    /// Checks the answer to a request sent to <paramref name="sent"/> (captured before sending: the handler rewrites
    /// the request's URI when it follows a redirect). Returns <paramref name="response"/>, or, when the handler
    /// followed a redirect, disposes it and returns a bodiless <c>302</c> in its place so the sender refuses it like any
    /// other redirect (the original 3xx status is lost once a handler follows it).
    /// </summary>
    public HttpResponseMessage Inspect(HttpResponseMessage response, Uri sent)
    {
        var status = (int)response.StatusCode;
        if (IsRedirect(status))
        {
            if (_refusedReports.TryReport(out var count))
            {
                Log.RedirectRefused(_logger, status, LocationHost(response.Headers.Location, sent), count);
            }

            return response;
        }

        if (response.RequestMessage?.RequestUri is not { } final || final == sent)
        {
            return response;
        }

        var request = response.RequestMessage;
        response.Dispose();
        return Followed(request, final, sent);
    }

    /// <summary>
    /// A handler followed a redirect of the request sent to <paramref name="sent"/> to <paramref name="final"/> (its answer
    /// came, or the hop failed): warns once and returns a bodiless <c>302</c> that the sender refuses like any redirect.
    /// </summary>
    public HttpResponseMessage Followed(HttpRequestMessage? request, Uri final, Uri sent)
    {
        if (Interlocked.Exchange(ref _followedWarned, 1) == 0)
        {
            Log.RedirectFollowed(_logger, final.IsAbsoluteUri ? final.Host : sent.Host);
        }

        return new HttpResponseMessage(HttpStatusCode.Redirect) { RequestMessage = request };
    }

    /// <summary>Gets the host a redirect points to: a relative <c>Location</c> stays on the endpoint's host.</summary>
    internal static string LocationHost(Uri? location, Uri sent) => location switch
    {
        null => "(none)",
        { IsAbsoluteUri: true } absolute => absolute.Host,
        _ => sent.Host,
    };
}
