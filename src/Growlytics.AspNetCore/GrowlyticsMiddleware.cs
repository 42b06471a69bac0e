using System.Security.Claims;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;

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
    private static readonly Action<ILogger, string, Exception?> UserIdClaimRefused = LoggerMessage.Define<string>(
        LogLevel.Warning,
        new EventId(1012, nameof(UserIdClaimRefused)),
        "An authenticated request's {ClaimType} claim is not a user id Growlytics accepts (a non-blank string of at most 40 characters, with no unpaired surrogate); such requests start anonymous. Set UserIdClaimType in UseGrowlytics to a claim that holds such an id, or call Identify with one. Logged once.");

    private static readonly Action<ILogger, string, Exception?> UserIdClaimMissing = LoggerMessage.Define<string>(
        LogLevel.Warning,
        new EventId(1013, nameof(UserIdClaimMissing)),
        "An authenticated request has no {ClaimType} claim; such requests start anonymous. Set UserIdClaimType in UseGrowlytics to the claim that holds the user id, or UseAuthenticatedUser to false. Logged once.");

    private static readonly Action<ILogger, string, Exception?> CookieNotRotated = LoggerMessage.Define<string>(
        LogLevel.Warning,
        new EventId(1014, nameof(CookieNotRotated)),
        "A request changed its anonymous id (a Logout, or an Identify that logged another user out) after its response had started, so the {CookieName} cookie could not be written: the browser keeps the id that was used before, and its next requests continue that session. Call Logout before the response starts (before writing or flushing the body). Logged once.");

    // Marks a request that a Growlytics middleware scoped already.
    private static readonly object ScopedKey = new();

    // The request's session across runs of the pipeline (see ScopeAsync).
    private static readonly object RequestKey = new();

    private readonly GrowlyticsMiddlewareOptions _options;
    private readonly ILogger _logger;

    // Whether events 1012 and 1013 were logged: an app's configuration, the same for every request, so once each.
    private int _refusedLogged;
    private int _missingLogged;
    private int _notRotatedLogged;

    public GrowlyticsMiddleware(RequestDelegate next, GrowlyticsClient client, GrowlyticsMiddlewareOptions options, ILoggerFactory loggerFactory)
    {
        _next = next;
        _client = client;
        _options = options;
        _logger = loggerFactory.CreateLogger("GrowlyticsSdk");
    }

    public async Task InvokeAsync(HttpContext context)
    {
        // UseGrowlytics added twice (the app's, and a shared defaults extension's): the first scopes the request, the others
        // let it through. A scope and a cookie of each one's own gave the request two anonymous ids, and the browser kept
        // the outer's while the request's pushes went under the inner's (with REST, lost to the next login).
        if (context.Items.ContainsKey(ScopedKey))
        {
            await _next(context).ConfigureAwait(false);
            return;
        }

        // Cleared when the request leaves the scope: a pipeline run again for the same request (an exception handler's or
        // status code page's re-execution) opens a scope of its own, which continues the request's session (see ScopeAsync).
        context.Items[ScopedKey] = null;
        try
        {
            await ScopeAsync(context).ConfigureAwait(false);
        }
        finally
        {
            context.Items.Remove(ScopedKey);
        }
    }

    private async Task ScopeAsync(HttpContext context)
    {
        // A pipeline run again for the same request (an exception handler's or status code page's re-execution, after a
        // call refused with an exception, say) continues the session the request had: the same anonymous id, which the one
        // cookie of the response carries. A fresh id per run wrote a cookie per run, each with its own id: the browser kept
        // one of them, and what the other run recorded went under an id no later request carried.
        // The user too: the principal's claim is read once, at the first run. A run that logged its user out (or identified
        // another) before it failed left a session without that user, which the claim (unchanged within the request) would
        // bring back, under the anonymous id the logout rotated to.
        var request = context.Items.TryGetValue(RequestKey, out var earlier) ? earlier as RequestSession : null;
        var previous = request?.User;
        var anonymousId = previous is not null ? previous.AnonymousId : ReadAnonymousId(context);
        var userId = previous is not null ? previous.UserId : ReadUserId(context);
        // Both ids were checked above, so this cannot throw.
        using var scope = _client.BeginScope(anonymousId, userId);
        using var facade = IsTheFacadesClient(_client) ? null : Growlytics.UseClient(_client);
        var user = _client.User;
        if (request is null)
        {
            request = new RequestSession(anonymousId, user);
            context.Items[RequestKey] = request;
            if (_options.AnonymousIdCookieName is { } cookie)
            {
                if (context.Response.HasStarted)
                {
                    // Started before this middleware ran (a preamble another middleware streamed): no cookie can be written
                    // now, and registering for the start would throw into the request. The browser keeps what it sent.
                    request.Kept = anonymousId;
                }
                else
                {
                    // Once per request: the session of the latest run, as the response starts.
                    context.Response.OnStarting(() => WriteCookie(context, cookie, request));
                }
            }
        }
        else
        {
            request.User = user;
        }

        // Callbacks the request registers on its response (OnStarting, OnCompleted) run in the flow they were registered
        // in: the server runs them once the pipeline has returned (a response it starts at the end, every OnCompleted),
        // outside this scope, where Growlytics.User threw (RequireScope) or was the process-wide session every request
        // shares (ProcessWide), and the facade another host's client.
        var response = context.Features.Get<IHttpResponseFeature>();
        var scoped = response is null or ScopedResponseFeature ? null : new ScopedResponseFeature(response);
        if (scoped is not null)
        {
            context.Features.Set<IHttpResponseFeature>(scoped);
        }

        try
        {
            await _next(context).ConfigureAwait(false);
        }
        finally
        {
            if (scoped is not null && ReferenceEquals(context.Features.Get<IHttpResponseFeature>(), scoped))
            {
                context.Features.Set(response);
            }
        }

        // A logout once the response had started (a streamed body): the rotated id never reached the browser.
        if (_options.AnonymousIdCookieName is not null
            && context.Response.HasStarted
            && request.Kept is { } kept
            && !string.Equals(kept, user.AnonymousId, StringComparison.Ordinal)
            && Interlocked.Exchange(ref _notRotatedLogged, 1) == 0)
        {
            LogSafely(CookieNotRotated, _options.AnonymousIdCookieName);
        }
    }

    private Task WriteCookie(HttpContext context, string cookie, RequestSession request)
    {
        // A new visitor, or a logout that rotated the id: the browser keeps the current one. While the client is opted out
        // a new visitor is given no tracking id (a logout's rotation still replaces the id the browser has, so the next
        // user of that browser does not continue the session that logged out).
        var current = request.User!.AnonymousId;
        if (request.Received is null && _client.IsOptedOut)
        {
            return Task.CompletedTask;
        }

        request.Kept = current;
        if (!string.Equals(request.Received, current, StringComparison.Ordinal))
        {
            context.Response.Cookies.Append(cookie, current, new CookieOptions
            {
                HttpOnly = true,
                Secure = context.Request.IsHttps,
                SameSite = SameSiteMode.Lax,
                IsEssential = false,
                MaxAge = TimeSpan.FromDays(365),
            });
        }

        return Task.CompletedTask;
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
        // The cookie's id, else the header's: a cookie with no usable id (empty, tampered) does not hide the header's.
        if (_options.AnonymousIdCookieName is { } cookie && context.Request.Cookies[cookie] is { } fromCookie
            && GrowlyticsClient.IsValidAnonymousId(fromCookie))
        {
            return fromCookie;
        }

        if (_options.AnonymousIdHeaderName is { } header && context.Request.Headers[header].ToString() is var fromHeader
            && GrowlyticsClient.IsValidAnonymousId(fromHeader))
        {
            return fromHeader;
        }

        // Anything that is not a well-formed id (tampered, foreign) is replaced by a fresh one.
        return null;
    }

    private string? ReadUserId(HttpContext context)
    {
        if (!_options.UseAuthenticatedUser || context.User.Identity?.IsAuthenticated != true)
        {
            return null;
        }

        var id = FindAuthenticatedClaim(context.User, _options.UserIdClaimType);
        if (GrowlyticsClient.IsValidUserId(id))
        {
            return id;
        }

        // An id the SDK would refuse (blank, too long: an Entra ID "sub" has 43 characters) leaves the request anonymous
        // rather than failing it; the log says so once, naming the claim type, never the id.
        if (id is null)
        {
            if (Interlocked.Exchange(ref _missingLogged, 1) == 0)
            {
                LogSafely(UserIdClaimMissing, _options.UserIdClaimType);
            }
        }
        else if (Interlocked.Exchange(ref _refusedLogged, 1) == 0)
        {
            LogSafely(UserIdClaimRefused, _options.UserIdClaimType);
        }

        return null;
    }

    // The claim of an authenticated identity only (the first that has it): ClaimsPrincipal.FindFirst searches every identity,
    // and took the id from one nobody authenticated (an identity an app or a second scheme adds beside the signed-in one)
    // when the authenticated identity had no such claim.
    private static string? FindAuthenticatedClaim(ClaimsPrincipal user, string claimType)
    {
        foreach (var identity in user.Identities)
        {
            if (identity.IsAuthenticated && identity.FindFirst(claimType) is { } claim)
            {
                return claim.Value;
            }
        }

        return null;
    }

    private void LogSafely(Action<ILogger, string, Exception?> log, string name)
    {
        try
        {
            log(_logger, name, null);
        }
#pragma warning disable CA1031 // A logging provider that throws must not fail the request (the SDK's own logger is guarded the same way).
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }

    // The server's response feature, except that a callback registered through it runs in the execution context of its
    // registration (this request's scope and facade client), as work the request starts does.
    private sealed class ScopedResponseFeature : IHttpResponseFeature
    {
        private readonly IHttpResponseFeature _inner;

        public ScopedResponseFeature(IHttpResponseFeature inner) => _inner = inner;

        public int StatusCode
        {
            get => _inner.StatusCode;
            set => _inner.StatusCode = value;
        }

        public string? ReasonPhrase
        {
            get => _inner.ReasonPhrase;
            set => _inner.ReasonPhrase = value;
        }

        public IHeaderDictionary Headers
        {
            get => _inner.Headers;
            set => _inner.Headers = value;
        }

#pragma warning disable CS0618 // Obsolete, but part of the interface: forwarded as it is.
        public Stream Body
        {
            get => _inner.Body;
            set => _inner.Body = value;
        }
#pragma warning restore CS0618

        public bool HasStarted => _inner.HasStarted;

        public void OnStarting(Func<object, Task> callback, object state)
        {
            if (ExecutionContext.Capture() is { } flow)
            {
                _inner.OnStarting(InFlow.Invoke, new InFlow(flow, callback, state));
            }
            else
            {
                _inner.OnStarting(callback, state);
            }
        }

        public void OnCompleted(Func<object, Task> callback, object state)
        {
            if (ExecutionContext.Capture() is { } flow)
            {
                _inner.OnCompleted(InFlow.Invoke, new InFlow(flow, callback, state));
            }
            else
            {
                _inner.OnCompleted(callback, state);
            }
        }

        private sealed class InFlow
        {
            private static readonly ContextCallback Run = static state =>
            {
                var call = (InFlow)state!;
                call._result = call._callback(call._state);
            };

            private readonly ExecutionContext _flow;
            private readonly Func<object, Task> _callback;
            private readonly object _state;
            private Task? _result;

            public InFlow(ExecutionContext flow, Func<object, Task> callback, object state)
            {
                _flow = flow;
                _callback = callback;
                _state = state;
            }

            public static Task Invoke(object state)
            {
                var call = (InFlow)state;
                ExecutionContext.Run(call._flow, Run, call);
                return call._result!;
            }
        }
    }

    // One request's session: the id it came with, the session of its latest run, and the id its cookie gave the browser
    // (null until the response starts, or with no cookie).
    private sealed class RequestSession
    {
        public RequestSession(string? received, GrowlyticsUser user)
        {
            Received = received;
            User = user;
        }

        public string? Received { get; }

        public GrowlyticsUser? User { get; set; }

        public string? Kept { get; set; }
    }
}
