using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace GrowlyticsSdk.DependencyInjection;

/// <summary>
/// Binds the <c>Growlytics</c> configuration section by hand: trim- and AOT-safe, and a value that does not
/// parse is reported with its key (never its value, which may be the API key).
/// </summary>
internal static class OptionsBinder
{
    public static void Bind(IConfiguration section, GrowlyticsOptions options)
    {
        if (section[nameof(options.ApiKey)] is { Length: > 0 } apiKey)
        {
            options.ApiKey = apiKey;
        }

        if (section[nameof(options.Endpoint)] is { Length: > 0 } endpoint)
        {
            options.Endpoint = Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) ? uri : throw Invalid(nameof(options.Endpoint));
        }

        Int(section, nameof(options.MaxQueueSize), v => options.MaxQueueSize = v);
        Int(section, nameof(options.MaxConcurrentRequests), v => options.MaxConcurrentRequests = v);
        Long(section, nameof(options.MaxQueueBytes), v => options.MaxQueueBytes = v);
        Enum<GrowlyticsProtocol>(section, nameof(options.Protocol), v => options.Protocol = v);
        Int(section, nameof(options.MaxBatchSize), v => options.MaxBatchSize = v);
        Int(section, nameof(options.MaxBatchBytes), v => options.MaxBatchBytes = v);
        Int(section, nameof(options.MaxRetryAttempts), v => options.MaxRetryAttempts = v);
        Time(section, nameof(options.FlushInterval), v => options.FlushInterval = v);
        Time(section, nameof(options.RequestTimeout), v => options.RequestTimeout = v);
        Time(section, nameof(options.RetryBaseDelay), v => options.RetryBaseDelay = v);
        Time(section, nameof(options.MaxRetryDelay), v => options.MaxRetryDelay = v);
        Time(section, nameof(options.RetryBudget), v => options.RetryBudget = v);
        Time(section, nameof(options.CircuitBreakDuration), v => options.CircuitBreakDuration = v);
        Time(section, nameof(options.ShutdownTimeout), v => options.ShutdownTimeout = v);
        Enum<QueueOverflowPolicy>(section, nameof(options.QueueOverflowPolicy), v => options.QueueOverflowPolicy = v);
        Enum<InvalidInputHandling>(section, nameof(options.InvalidInputHandling), v => options.InvalidInputHandling = v);
        Enum<SessionMode>(section, nameof(options.SessionMode), v => options.SessionMode = v);
        if (section[nameof(options.StorageDirectory)] is { Length: > 0 } storage)
        {
            options.StorageDirectory = storage;
        }

        Time(section, nameof(options.StorageCommitInterval), v => options.StorageCommitInterval = v);
        Time(section, nameof(options.MaxStorageAge), v => options.MaxStorageAge = v);
        Long(section, nameof(options.MaxStorageBytes), v => options.MaxStorageBytes = v);
        Time(section, nameof(options.AnonymousAttributeRetention), v => options.AnonymousAttributeRetention = v);
        Int(section, nameof(options.MaxHeldAnonymousSessions), v => options.MaxHeldAnonymousSessions = v);
    }

    private static void Long(IConfiguration section, string key, Action<long> set)
    {
        if (section[key] is { Length: > 0 } text)
        {
            set(long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value : throw Invalid(key));
        }
    }

    private static void Int(IConfiguration section, string key, Action<int> set)
    {
        if (section[key] is { Length: > 0 } text)
        {
            set(int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value : throw Invalid(key));
        }
    }

    private static void Time(IConfiguration section, string key, Action<TimeSpan> set)
    {
        if (section[key] is { Length: > 0 } text)
        {
            set(TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var value) ? value : throw Invalid(key));
        }
    }

    private static void Enum<T>(IConfiguration section, string key, Action<T> set)
        where T : struct
    {
        if (section[key] is { Length: > 0 } text)
        {
            set(System.Enum.TryParse<T>(text, ignoreCase: true, out var value) ? value : throw Invalid(key));
        }
    }

    private static InvalidOperationException Invalid(string key) =>
        new($"Configuration value Growlytics:{key} could not be parsed. TimeSpans use the form hh:mm:ss, e.g. 00:00:05.");
}
