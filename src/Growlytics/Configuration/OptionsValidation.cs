using System.Globalization;
using System.Net;

namespace GrowlyticsSdk.Configuration;

/// <summary>Checks a <see cref="GrowlyticsOptions"/> before a client uses it; every problem is reported at once.</summary>
internal static partial class OptionsValidation
{
    // The shortest key the endpoint check looks for.
    private const int MinKeyLengthToLookFor = 8;

    public static List<string> Validate(GrowlyticsOptions options)
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(options.ApiKey))
        {
            errors.Add("GrowlyticsOptions.ApiKey is required: pass your project's API key to Growlytics.Initialize, set Growlytics:ApiKey in configuration, or set the GROWLYTICS_API_KEY environment variable.");
        }
        else if (!IsPrintableAscii(options.ApiKey!))
        {
            // The key goes into an HTTP header: CR/LF would inject headers, and anything else outside printable ASCII
            // fails every request. The message names the rule, never the key; a key the environment gave says so.
            var keyName = options.ApiKeyFromEnvironment
                ? "GrowlyticsOptions.ApiKey (set from the " + EnvironmentDefaults.ApiKeyVariable + " environment variable)"
                : "GrowlyticsOptions.ApiKey";
            errors.Add(keyName + " has a character that cannot be part of an API key (a space, tab, line break, control character or non-ASCII character): copy the key again without surrounding whitespace or quotes.");
        }

        // An endpoint the environment gave says so: the app's code and configuration do not show it.
        var endpointName = options.EndpointFromEnvironment
            ? "GrowlyticsOptions.Endpoint (set from the " + EnvironmentDefaults.EndpointVariable + " environment variable)"
            : "GrowlyticsOptions.Endpoint";
        if (options.Endpoint is null || !options.Endpoint.IsAbsoluteUri)
        {
            errors.Add(endpointName + " must be an absolute URI such as https://dcqs-india.growlytics.in/.");
        }
        else if (!IsAllowedScheme(options.Endpoint))
        {
            errors.Add(endpointName + " must use https; plain http is allowed only for loopback addresses (localhost, 127.0.0.1, [::1]).");
        }

        if (options.Endpoint is { IsAbsoluteUri: true } endpoint && (endpoint.Query.Length > 0 || endpoint.Fragment.Length > 0))
        {
            errors.Add(endpointName + " must not have a query string or fragment: the SDK appends the protocol's path ('rest-api/customer' or 'events/sdk-batch') to it.");
        }

        // Port 0 is "any free port" to a server that listens, and no address a client can send to: every request would fail.
        if (options.Endpoint is { IsAbsoluteUri: true, Port: 0 })
        {
            errors.Add(endpointName + " has port 0, which no service can be reached on: give the collector's port, or none for the scheme's default (443 for https).");
        }

        // The documented request address pasted as the endpoint would post to {address}/rest-api/customer: every message
        // dropped on a 404, with nothing said at start.
        if (options.Endpoint is { IsAbsoluteUri: true } withPath && EndsWithProtocolPath(withPath))
        {
            errors.Add(endpointName + " is the service's base address, such as https://dcqs-india.growlytics.in/: it must not end with the protocol's path ('rest-api/customer' or 'events/sdk-batch'), which the SDK appends.");
        }

        // The key goes in the x-growlytics-key header only. In the address it would be sent where the header is not, and
        // logged with the address requests go to. The messages name the rule, never the endpoint or the key.
        if (options.Endpoint is { IsAbsoluteUri: true } withUserInfo && withUserInfo.UserInfo.Length > 0)
        {
            errors.Add(endpointName + " must not carry user info (user:password@): the API key goes in GrowlyticsOptions.ApiKey, which is sent only in the x-growlytics-key header.");
        }
        else if (options.Endpoint is { } withKey && ContainsKey(withKey, options.ApiKey))
        {
            errors.Add(endpointName + " must not contain the API key: it would be logged with the address requests go to. The key goes in GrowlyticsOptions.ApiKey only.");
        }

        Range(errors, nameof(options.MaxQueueSize), options.MaxQueueSize, 1, 10_000_000);
        Range(errors, nameof(options.MaxConcurrentRequests), options.MaxConcurrentRequests, 0, 256);
        if (options.MaxQueueBytes < 64 * 1024 || options.MaxQueueBytes > 16L * 1024 * 1024 * 1024)
        {
            errors.Add(string.Format(CultureInfo.InvariantCulture, "GrowlyticsOptions.MaxQueueBytes must be between {0} and {1} (it is {2}).", 64 * 1024, 16L * 1024 * 1024 * 1024, options.MaxQueueBytes));
        }

        Range(errors, nameof(options.MaxBatchSize), options.MaxBatchSize, 1, 10_000);
        Range(errors, nameof(options.MaxBatchBytes), options.MaxBatchBytes, 1024, 100 * 1024 * 1024);
        Range(errors, nameof(options.MaxRetryAttempts), options.MaxRetryAttempts, 0, 100);
        Range(errors, nameof(options.FlushInterval), options.FlushInterval, TimeSpan.FromMilliseconds(1), TimeSpan.FromHours(1));
        Range(errors, nameof(options.RequestTimeout), options.RequestTimeout, TimeSpan.FromMilliseconds(10), TimeSpan.FromMinutes(10));
        Range(errors, nameof(options.RetryBaseDelay), options.RetryBaseDelay, TimeSpan.FromMilliseconds(1), TimeSpan.FromMinutes(10));
        Range(errors, nameof(options.MaxRetryDelay), options.MaxRetryDelay, TimeSpan.FromMilliseconds(1), TimeSpan.FromHours(1));
        Range(errors, nameof(options.RetryBudget), options.RetryBudget, TimeSpan.FromMilliseconds(10), TimeSpan.FromDays(1));
        // RetryBudget bounds the whole of a request's tries, its first attempt included: shorter than RequestTimeout, it
        // ends an attempt the timeout would let finish (a service answering in 2 s, a 10 s timeout and a 1 s budget: every
        // request dropped as RetriesExhausted after one attempt). Checked once both are in range.
        if (options.RetryBudget < options.RequestTimeout
            && options.RequestTimeout >= TimeSpan.FromMilliseconds(10) && options.RequestTimeout <= TimeSpan.FromMinutes(10)
            && options.RetryBudget >= TimeSpan.FromMilliseconds(10) && options.RetryBudget <= TimeSpan.FromDays(1))
        {
            errors.Add(string.Format(CultureInfo.InvariantCulture, "GrowlyticsOptions.RetryBudget ({0}) must be at least GrowlyticsOptions.RequestTimeout ({1}): the budget bounds every attempt of a request, its first included, so a shorter one ends an attempt before its timeout. Raise RetryBudget or lower RequestTimeout.", options.RetryBudget, options.RequestTimeout));
        }

        Range(errors, nameof(options.CircuitBreakDuration), options.CircuitBreakDuration, TimeSpan.FromMilliseconds(500), TimeSpan.FromDays(1));
        Range(errors, nameof(options.ShutdownTimeout), options.ShutdownTimeout, TimeSpan.Zero, TimeSpan.FromMinutes(10));
        Range(errors, nameof(options.StorageCommitInterval), options.StorageCommitInterval, TimeSpan.FromMilliseconds(1), TimeSpan.FromSeconds(10));
        Range(errors, nameof(options.MaxStorageAge), options.MaxStorageAge, TimeSpan.FromMinutes(1), TimeSpan.FromDays(365));
        // Batch with storage: a message is written to the folder (within StorageCommitInterval of its call), read from there
        // and waits up to FlushInterval for its batch to fill; the age limit drops it once it is MaxStorageAge old. A batch
        // that waits longer than that is dropped as Expired, unsent, from a healthy service (every message of a quiet app).
        // Checked once all three are in range.
        if (options.Protocol == GrowlyticsProtocol.Batch
            && !string.IsNullOrEmpty(options.StorageDirectory)
            && IsIn(options.FlushInterval, TimeSpan.FromMilliseconds(1), TimeSpan.FromHours(1))
            && IsIn(options.StorageCommitInterval, TimeSpan.FromMilliseconds(1), TimeSpan.FromSeconds(10))
            && IsIn(options.MaxStorageAge, TimeSpan.FromMinutes(1), TimeSpan.FromDays(365))
            && options.FlushInterval + options.StorageCommitInterval >= options.MaxStorageAge)
        {
            errors.Add(string.Format(CultureInfo.InvariantCulture, "GrowlyticsOptions.FlushInterval ({0}) plus GrowlyticsOptions.StorageCommitInterval ({1}) must be shorter than GrowlyticsOptions.MaxStorageAge ({2}) with the Batch protocol and a StorageDirectory: a stored message waits up to that long to be sent, and one older than MaxStorageAge is dropped (Expired) unsent. Lower FlushInterval or raise MaxStorageAge.", options.FlushInterval, options.StorageCommitInterval, options.MaxStorageAge));
        }

        Range(errors, nameof(options.AnonymousAttributeRetention), options.AnonymousAttributeRetention, TimeSpan.FromMinutes(1), TimeSpan.FromDays(1));
        Range(errors, nameof(options.MaxHeldAnonymousSessions), options.MaxHeldAnonymousSessions, 1, 1_000_000);
        if (options.MaxStorageBytes < 64 * 1024 || options.MaxStorageBytes > 10L * 1024 * 1024 * 1024)
        {
            errors.Add(string.Format(CultureInfo.InvariantCulture, "GrowlyticsOptions.MaxStorageBytes must be between {0} and {1} (it is {2}).", 64 * 1024, 10L * 1024 * 1024 * 1024, options.MaxStorageBytes));
        }

        if (options.StorageDirectory is { Length: > 0 } storage)
        {
            // Empty means no storage (a configuration key left blank); blank or with characters no path may have is a mistake.
            if (string.IsNullOrWhiteSpace(storage))
            {
                errors.Add("GrowlyticsOptions.StorageDirectory is blank: set it to a folder path, or leave it null (or empty) to keep messages in memory only.");
            }
            else if (storage.IndexOfAny(Path.GetInvalidPathChars()) >= 0 || storage.Any(char.IsControl))
            {
                errors.Add("GrowlyticsOptions.StorageDirectory has a control character (such as a NUL, tab or line break) or another character this platform does not allow in a path.");
            }
            else if (HasUnexpandedReference(storage))
            {
                // "~/x" or "%LOCALAPPDATA%\x" from a settings file: nothing in .NET expands them, and the folder would be
                // made under that literal name below the current directory.
                errors.Add("GrowlyticsOptions.StorageDirectory starts with ~ or refers to an environment variable (%NAME%, $NAME or ${NAME}), which is not expanded: the folder would be made under that literal name, below the current directory. Give the path written out, expand it in code (Environment.ExpandEnvironmentVariables, Environment.GetFolderPath), or use GrowlyticsOptions.GetDefaultStorageDirectory.");
            }
        }

        if (!Enum.IsDefined(typeof(QueueOverflowPolicy), options.QueueOverflowPolicy))
        {
            errors.Add("GrowlyticsOptions.QueueOverflowPolicy is not a defined value.");
        }

        if (!Enum.IsDefined(typeof(GrowlyticsProtocol), options.Protocol))
        {
            errors.Add("GrowlyticsOptions.Protocol is not a defined value.");
        }

        if (!Enum.IsDefined(typeof(InvalidInputHandling), options.InvalidInputHandling))
        {
            errors.Add("GrowlyticsOptions.InvalidInputHandling is not a defined value.");
        }

        if (!Enum.IsDefined(typeof(SessionMode), options.SessionMode))
        {
            errors.Add("GrowlyticsOptions.SessionMode is not a defined value.");
        }

        if (options.TimeProvider is null)
        {
            errors.Add("GrowlyticsOptions.TimeProvider must not be null.");
        }

        NoteTimesReadAsDays(errors, options);
        return errors;
    }

    /// <summary>Throws one <see cref="ArgumentException"/> listing every problem, naming <paramref name="parameter"/> (the caller's own parameter, if any).</summary>
    public static void ThrowIfInvalid(GrowlyticsOptions options, string? parameter)
    {
        var errors = Validate(options);
        if (errors.Count > 0)
        {
            throw new ArgumentException(string.Join(" ", errors), parameter);
        }
    }

    /// <summary>
    /// Gets a value indicating whether <paramref name="endpoint"/> contains <paramref name="apiKey"/> (ordinal): as written,
    /// as the URI writes it (escaped, host in lower case) or unescaped. Keys shorter than
    /// <see cref="MinKeyLengthToLookFor"/> are not looked for: a development key such as "test" or "local" is part of many
    /// addresses, and is no secret.
    /// </summary>
    private static bool ContainsKey(Uri endpoint, string? apiKey)
    {
        if (apiKey is null || apiKey.Length < MinKeyLengthToLookFor)
        {
            return false;
        }

        if (HasOrdinal(endpoint.OriginalString, apiKey!))
        {
            return true;
        }

        if (!endpoint.IsAbsoluteUri)
        {
            return false;
        }

        var written = endpoint.AbsoluteUri;
        return HasOrdinal(written, apiKey!) || HasOrdinal(Uri.UnescapeDataString(written), apiKey!);
    }

    private static bool HasOrdinal(string text, string value) =>
#if NET8_0_OR_GREATER
        text.Contains(value, StringComparison.Ordinal);
#else
        text.IndexOf(value, StringComparison.Ordinal) >= 0;
#endif

    /// <summary>Gets a value indicating whether every character of <paramref name="apiKey"/> is printable ASCII (0x21 to 0x7E).</summary>
    internal static bool IsPrintableAscii(string apiKey)
    {
        foreach (var c in apiKey)
        {
            if (c is < '\u0021' or > '\u007E')
            {
                return false;
            }
        }

        return true;
    }

    private static bool EndsWithProtocolPath(Uri endpoint)
    {
        var path = endpoint.AbsolutePath.TrimEnd('/');
        return path.EndsWith("/" + Protocols.Rest.RestProtocol.Path, StringComparison.OrdinalIgnoreCase)
            || path.EndsWith("/" + Protocols.Batch.BatchProtocol.Path, StringComparison.OrdinalIgnoreCase);
    }

    internal static bool IsAllowedScheme(Uri endpoint)
    {
        if (string.Equals(endpoint.Scheme, Uri.UriSchemeHttps, StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        if (!string.Equals(endpoint.Scheme, Uri.UriSchemeHttp, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        return IsLoopback(endpoint);
    }

    /// <summary>
    /// Tells whether <paramref name="uri"/> names this machine (<c>localhost</c>, 127.0.0.0/8, <c>::1</c>, an IPv4-mapped
    /// loopback). An address is judged as the network stack routes it: <see cref="Uri.IsLoopback"/> also takes the
    /// deprecated IPv4-compatible form (<c>[::127.0.0.1]</c>) for loopback, which is routed out of the machine.
    /// </summary>
    internal static bool IsLoopback(Uri uri) =>
        IPAddress.TryParse(uri.DnsSafeHost, out var address)
            ? IPAddress.IsLoopback(address) || (address.IsIPv4MappedToIPv6 && IPAddress.IsLoopback(address.MapToIPv4()))
            : uri.IsLoopback;

    private static bool IsIn(TimeSpan value, TimeSpan min, TimeSpan max) => value >= min && value <= max;

    private static void Range(List<string> errors, string name, int value, int min, int max)
    {
        if (value < min || value > max)
        {
            errors.Add(string.Format(CultureInfo.InvariantCulture, "GrowlyticsOptions.{0} must be between {1} and {2} (it is {3}).", name, min, max, value));
        }
    }

    private static void Range(List<string> errors, string name, TimeSpan value, TimeSpan min, TimeSpan max)
    {
        if (value < min || value > max)
        {
            errors.Add(string.Format(CultureInfo.InvariantCulture, "GrowlyticsOptions.{0} must be between {1} and {2} (it is {3}).", name, min, max, value));
        }
    }

    // A leading "~" segment, a %NAME% reference, or a segment starting with $NAME or ${NAME}: what a settings file may
    // hold for a shell or Windows to expand (written out rather than with a regular expression, which the library does
    // not otherwise need).
    private static bool HasUnexpandedReference(string path)
    {
        if (path[0] == '~' && (path.Length == 1 || IsSeparator(path[1])))
        {
            return true;
        }

        for (var i = 0; i < path.Length; i++)
        {
            if (path[i] == '%' && i + 1 < path.Length && IsNameStart(path[i + 1]))
            {
                var end = i + 2;
                while (end < path.Length && (IsNameStart(path[end]) || path[end] is (>= '0' and <= '9') or '(' or ')'))
                {
                    end++;
                }

                if (end < path.Length && path[end] == '%')
                {
                    return true;
                }
            }
            else if (path[i] == '$' && (i == 0 || IsSeparator(path[i - 1])) && i + 1 < path.Length)
            {
                var next = path[i + 1] == '{' && i + 2 < path.Length ? path[i + 2] : path[i + 1];
                if (IsNameStart(next))
                {
                    return true;
                }
            }
        }

        return false;

        static bool IsSeparator(char c) => c is '/' or '\\';

        static bool IsNameStart(char c) => c is (>= 'A' and <= 'Z') or (>= 'a' and <= 'z') or '_';
    }
}
