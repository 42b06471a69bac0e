namespace GrowlyticsSdk.Delivery;

/// <summary>
/// Puts the API key header on a request right before the primary handler sends it: the handler <c>AddGrowlytics</c> wraps
/// around the named client's primary handler. The loggers <c>IHttpClientFactory</c> puts around the other handlers
/// (<c>AddDefaultLogger()</c>, when an app adds them back) then never see the key: Microsoft.Extensions.Http redacts a
/// header in a log entry's text but not in its structured values.
/// </summary>
internal sealed class ApiKeyHandler : DelegatingHandler
{
    /// <summary>The header that carries the API key.</summary>
    public const string Header = "x-growlytics-key";

    private const string KeyName = "Growlytics.ApiKey";
    private readonly KeyHandlerWatch? _watch;

    public ApiKeyHandler(HttpMessageHandler primary, KeyHandlerWatch? watch = null)
        : base(primary)
    {
        _watch = watch;
    }

    /// <summary>
    /// Gives the request the key for this handler to add. The ticket returned says whether a handler added it
    /// (<see cref="Ticket.Added"/>), to this request or to a copy an app's handler sent instead (a copy of the request's
    /// options shares the ticket): false when the request went through a pipeline without this handler (its primary
    /// handler replaced after <c>AddGrowlytics</c> configured it), that is without the key.
    /// </summary>
    public static Ticket Attach(HttpRequestMessage request, string apiKey)
    {
        var ticket = new Ticket(apiKey, request.RequestUri!);
#if NET5_0_OR_GREATER
        ((IDictionary<string, object?>)request.Options)[KeyName] = ticket;
#else
        request.Properties[KeyName] = ticket;
#endif
        return ticket;
    }

    /// <summary>Takes the ticket off a request sent (a pipeline without this handler left it there).</summary>
    public static void Detach(HttpRequestMessage request) => Take(request);

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        // Only to where the SDK addressed the request: an app's handler in the chain that pointed it at another origin
        // (a rewrite, a redirect it follows itself) does not get the key sent there. Left without the key, the request
        // is refused by the sender as a redirect (its URI changed), never tried again. The ticket stays on the request
        // until the sender takes it off: an app's handler that sends the same request again (a retry, or a redirect it
        // follows by pointing the request at the Location) passes here again, and the key put on it for the endpoint
        // must come off before it goes elsewhere.
        if (Peek(request) is { } ticket)
        {
            if (SameOrigin(request.RequestUri, ticket.Target))
            {
                if (!request.Headers.Contains(Header))
                {
                    request.Headers.TryAddWithoutValidation(Header, ticket.Key);
                }

                ticket.Added = true;
            }
            else
            {
                request.Headers.Remove(Header);

                // Said to the sender, which refuses the request as a redirect (never tried again with the key on the request
                // itself), also when the handler puts the original address back once it has sent it.
                ticket.RefusedFor = request.RequestUri;
            }
        }
        else
        {
            // Sent on without the ticket (a copy of a request without its options): a request the key handler does not
            // see may have gone out too, without the key (see KeyHandlerWatch).
            _watch?.CopySeen();
        }

        return base.SendAsync(request, cancellationToken);
    }

    private static bool SameOrigin(Uri? sending, Uri target) =>
        sending is { IsAbsoluteUri: true }
        && Uri.Compare(sending, target, UriComponents.SchemeAndServer, UriFormat.UriEscaped, StringComparison.OrdinalIgnoreCase) == 0
        && sending.UserInfo.Length == 0;

    private static Ticket? Peek(HttpRequestMessage request)
    {
#if NET5_0_OR_GREATER
        var options = (IDictionary<string, object?>)request.Options;
#else
        var options = request.Properties;
#endif
        return options.TryGetValue(KeyName, out var value) ? value as Ticket : null;
    }

    private static Ticket? Take(HttpRequestMessage request)
    {
        var ticket = Peek(request);
        if (ticket is not null)
        {
#if NET5_0_OR_GREATER
            ((IDictionary<string, object?>)request.Options).Remove(KeyName);
#else
            request.Properties.Remove(KeyName);
#endif
        }

        return ticket;
    }

    /// <summary>The key given to a request, and whether a handler added it (no ToString of its own: never prints the key).</summary>
    internal sealed class Ticket
    {
        private volatile bool _added;
        private Uri? _refusedFor;

        public Ticket(string key, Uri target)
        {
            Key = key;
            Target = target;
        }

        public string Key { get; }

        /// <summary>Gets the address the SDK sent the request to: the key is added only for that origin.</summary>
        public Uri Target { get; }

        /// <summary>Gets or sets the other address the request was sent to, without the key (see <see cref="SendAsync"/>).</summary>
        public Uri? RefusedFor
        {
            get => Volatile.Read(ref _refusedFor);
            set => Volatile.Write(ref _refusedFor, value);
        }

        public bool Added
        {
            get => _added;
            set => _added = value;
        }
    }
}
