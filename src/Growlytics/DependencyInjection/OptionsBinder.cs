using System.Globalization;
using GrowlyticsSdk.Configuration;
using Microsoft.Extensions.Configuration;

namespace GrowlyticsSdk.DependencyInjection;

/// <summary>
/// Binds the <c>Growlytics</c> configuration section by hand: trim- and AOT-safe, and values that do not parse are
/// reported together, each by its key and the form it takes (never its value, which may be the API key). Enum options take
/// one of their names only (not a number, not a list).
/// </summary>
internal static class OptionsBinder
{
    public static void Bind(IConfiguration section, GrowlyticsOptions options)
    {
        var invalid = new List<(string Key, string Expected)>();
        // Without surrounding whitespace, as GROWLYTICS_API_KEY and every other value here are taken: a secret file read as
        // configuration (Kubernetes, Docker, a vault) often ends with a line break, which no key holds. It refused the key.
        if (Read(section, invalid, nameof(options.ApiKey), "the project's API key")?.Trim() is { Length: > 0 } apiKey)
        {
            options.ApiKey = apiKey;
        }

        const string AbsoluteUri = "an absolute URI such as https://dcqs-india.growlytics.in/";
        if (Read(section, invalid, nameof(options.Endpoint), AbsoluteUri) is { } endpoint)
        {
            if (EnvironmentDefaults.TryParseEndpoint(endpoint, out var uri))
            {
                options.Endpoint = uri;
            }
            else
            {
                invalid.Add((nameof(options.Endpoint), AbsoluteUri));
            }
        }

        Int(section, invalid, nameof(options.MaxQueueSize), v => options.MaxQueueSize = v);
        Int(section, invalid, nameof(options.MaxConcurrentRequests), v => options.MaxConcurrentRequests = v);
        Long(section, invalid, nameof(options.MaxQueueBytes), v => options.MaxQueueBytes = v);
        Enum<GrowlyticsProtocol>(section, invalid, nameof(options.Protocol), v => options.Protocol = v);
        Int(section, invalid, nameof(options.MaxBatchSize), v => options.MaxBatchSize = v);
        Int(section, invalid, nameof(options.MaxBatchBytes), v => options.MaxBatchBytes = v);
        Int(section, invalid, nameof(options.MaxRetryAttempts), v => options.MaxRetryAttempts = v);
        Time(section, invalid, options, nameof(options.FlushInterval), v => options.FlushInterval = v);
        Time(section, invalid, options, nameof(options.RequestTimeout), v => options.RequestTimeout = v);
        Time(section, invalid, options, nameof(options.RetryBaseDelay), v => options.RetryBaseDelay = v);
        Time(section, invalid, options, nameof(options.MaxRetryDelay), v => options.MaxRetryDelay = v);
        Time(section, invalid, options, nameof(options.RetryBudget), v => options.RetryBudget = v);
        Time(section, invalid, options, nameof(options.CircuitBreakDuration), v => options.CircuitBreakDuration = v);
        Time(section, invalid, options, nameof(options.ShutdownTimeout), v => options.ShutdownTimeout = v);
        Enum<QueueOverflowPolicy>(section, invalid, nameof(options.QueueOverflowPolicy), v => options.QueueOverflowPolicy = v);
        Enum<InvalidInputHandling>(section, invalid, nameof(options.InvalidInputHandling), v => options.InvalidInputHandling = v);
        Enum<SessionMode>(section, invalid, nameof(options.SessionMode), v => options.SessionMode = v);
        if (Read(section, invalid, nameof(options.StorageDirectory), "a folder path") is { } storage)
        {
            options.StorageDirectory = storage;
        }

        Time(section, invalid, options, nameof(options.StorageCommitInterval), v => options.StorageCommitInterval = v);
        Time(section, invalid, options, nameof(options.MaxStorageAge), v => options.MaxStorageAge = v);
        Long(section, invalid, nameof(options.MaxStorageBytes), v => options.MaxStorageBytes = v);
        Time(section, invalid, options, nameof(options.AnonymousAttributeRetention), v => options.AnonymousAttributeRetention = v);
        Int(section, invalid, nameof(options.MaxHeldAnonymousSessions), v => options.MaxHeldAnonymousSessions = v);
        NoteUnreadKeys(section, options);
        if (invalid.Count > 0)
        {
            // The section's own path: AddGrowlytics(configuration.GetSection("Analytics")) is read under "Analytics".
            var prefix = section is IConfigurationSection { Path: { Length: > 0 } path } ? path + ":" : string.Empty;
            throw new InvalidOperationException(
                "Configuration value(s) could not be parsed: "
                + string.Join("; ", invalid.Select(i => $"{prefix}{i.Key} must be {i.Expected}"))
                + "." + OtherProblems(section, options, invalid));
        }
    }

    // The options read above: a key of the section that is none of them (a misspelt option, or FlushOnProcessExit,
    // HttpClient, ...) would be ignored without a word. Noted for the client to log once (the key's path, not its value);
    // not an error, as a section may carry a setting of a later SDK version. A configuration root given in place of the
    // section (its other keys are the app's) is reported by the validator instead.
    internal static readonly string[] ReadKeys =
    [
        nameof(GrowlyticsOptions.ApiKey), nameof(GrowlyticsOptions.Endpoint), nameof(GrowlyticsOptions.MaxQueueSize),
        nameof(GrowlyticsOptions.MaxConcurrentRequests), nameof(GrowlyticsOptions.MaxQueueBytes), nameof(GrowlyticsOptions.Protocol),
        nameof(GrowlyticsOptions.MaxBatchSize), nameof(GrowlyticsOptions.MaxBatchBytes), nameof(GrowlyticsOptions.MaxRetryAttempts),
        nameof(GrowlyticsOptions.FlushInterval), nameof(GrowlyticsOptions.RequestTimeout), nameof(GrowlyticsOptions.RetryBaseDelay),
        nameof(GrowlyticsOptions.MaxRetryDelay), nameof(GrowlyticsOptions.RetryBudget), nameof(GrowlyticsOptions.CircuitBreakDuration),
        nameof(GrowlyticsOptions.ShutdownTimeout), nameof(GrowlyticsOptions.QueueOverflowPolicy), nameof(GrowlyticsOptions.InvalidInputHandling),
        nameof(GrowlyticsOptions.SessionMode), nameof(GrowlyticsOptions.StorageDirectory), nameof(GrowlyticsOptions.StorageCommitInterval),
        nameof(GrowlyticsOptions.MaxStorageAge), nameof(GrowlyticsOptions.MaxStorageBytes), nameof(GrowlyticsOptions.AnonymousAttributeRetention),
        nameof(GrowlyticsOptions.MaxHeldAnonymousSessions),
    ];

    private static void NoteUnreadKeys(IConfiguration section, GrowlyticsOptions options)
    {
        if (section is not IConfigurationSection)
        {
            return;
        }

        foreach (var child in section.GetChildren())
        {
            if (!Array.Exists(ReadKeys, k => string.Equals(k, child.Key, StringComparison.OrdinalIgnoreCase))
                && !options.UnreadConfigurationKeys.Contains(child.Path, StringComparer.OrdinalIgnoreCase))
            {
                options.UnreadConfigurationKeys = [.. options.UnreadConfigurationKeys, child.Path];
            }
        }
    }

    // The values of the section that did parse but break a rule, so one start-up names every bad value at once (the
    // options' own validation would report them only once the others are fixed). The rules' messages quote a number or
    // time that is out of range, never the API key.
    private static string OtherProblems(IConfiguration section, GrowlyticsOptions options, List<(string Key, string Expected)> invalid)
    {
        var parsed = section.GetChildren().Select(c => c.Key).Where(k => !invalid.Exists(i => string.Equals(i.Key, k, StringComparison.OrdinalIgnoreCase))).ToList();
        var problems = Configuration.OptionsValidation.Validate(options)
            .Where(e => parsed.Exists(k => e.StartsWith("GrowlyticsOptions." + k + " ", StringComparison.OrdinalIgnoreCase)))
            .ToList();
        return problems.Count == 0 ? string.Empty : " Also: " + string.Join(" ", problems);
    }

    /// <summary>
    /// Gets the value at <paramref name="key"/>, or <see langword="null"/> when there is none (unset or empty). An option
    /// written as an object or a list (<c>"Endpoint": { "Url": ... }</c>) has keys below it and no value: noted as not
    /// in its form, where it was ignored without a word and the option kept its default (Growlytics' own endpoint in
    /// place of the app's, for one).
    /// </summary>
    private static string? Read(IConfiguration section, List<(string, string)> invalid, string key, string expected)
    {
        if (section[key] is { Length: > 0 } text)
        {
            return text;
        }

        if (section.GetSection(key).GetChildren().Any())
        {
            invalid.Add((key, expected + ", not a section with keys below it"));
        }

        return null;
    }

    private delegate bool TryParse<T>(string text, out T value);

    private static void Long(IConfiguration section, List<(string, string)> invalid, string key, Action<long> set) =>
        Parse(section, invalid, key, "a whole number from -9223372036854775808 to 9223372036854775807", set, static (string text, out long value) => long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out value));

    private static void Int(IConfiguration section, List<(string, string)> invalid, string key, Action<int> set) =>
        Parse(section, invalid, key, "a whole number from -2147483648 to 2147483647", set, static (string text, out int value) => int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out value));

    // A time written as a bare whole number ("5") is read as days, as Microsoft's binder reads it, and kept: a value in
    // range (RetryBudget "1", MaxStorageAge "5") was taken without a word by a developer who meant seconds. Noted for the
    // client to log once (the key's path, not its value); zero is zero in any unit.
    private static void Time(IConfiguration section, List<(string, string)> invalid, GrowlyticsOptions options, string key, Action<TimeSpan> set)
    {
        Parse(section, invalid, key, "a time span, hh:mm:ss (e.g. 00:00:05)", set, static (string text, out TimeSpan value) => TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out value));
        var child = section.GetSection(key);
        if (child.Value?.Trim() is { Length: > 0 } text
            && long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var days) && days != 0
            && !options.TimeKeysReadAsDays.Contains(child.Path, StringComparer.OrdinalIgnoreCase))
        {
            options.TimeKeysReadAsDays = [.. options.TimeKeysReadAsDays, child.Path];
        }
    }

    private static void Enum<T>(IConfiguration section, List<(string, string)> invalid, string key, Action<T> set)
        where T : struct =>
        Parse(section, invalid, key, "one of " + string.Join(", ", System.Enum.GetNames(typeof(T))), set, static (string text, out T value) =>
        {
            // By name only: Enum.TryParse would also take "1" or "Rest,Batch".
            value = default;
            var trimmed = text.Trim();
            return Array.Exists(System.Enum.GetNames(typeof(T)), name => string.Equals(name, trimmed, StringComparison.OrdinalIgnoreCase))
                && System.Enum.TryParse(trimmed, ignoreCase: true, out value);
        });

    /// <summary>Sets the value at <paramref name="key"/> if there is one and it parses; notes the key and its form if it does not.</summary>
    private static void Parse<T>(IConfiguration section, List<(string, string)> invalid, string key, string expected, Action<T> set, TryParse<T> parse)
    {
        if (Read(section, invalid, key, expected) is not { } text)
        {
            return;
        }

        if (parse(text, out var value))
        {
            set(value);
        }
        else
        {
            invalid.Add((key, expected));
        }
    }
}
