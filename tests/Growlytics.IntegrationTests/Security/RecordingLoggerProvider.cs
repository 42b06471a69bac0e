using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace GrowlyticsSdk.IntegrationTests.Security;

/// <summary>One log line: its category, level, event id and formatted message with any exception.</summary>
public sealed record LogLine(string Category, LogLevel Level, EventId EventId, string Text);

/// <summary>
/// An <see cref="ILoggerProvider"/> for the real <c>Microsoft.Extensions.Logging</c> pipeline that keeps every line at
/// every level, including scopes' text, so a test can scan all of them.
/// </summary>
public sealed class RecordingLoggerProvider : ILoggerProvider, ISupportExternalScope
{
    private readonly ConcurrentQueue<LogLine> _lines = new();
    private IExternalScopeProvider? _scopes;

    public IReadOnlyList<LogLine> Lines => [.. _lines];

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void SetScopeProvider(IExternalScopeProvider scopeProvider) => _scopes = scopeProvider;

    public void Dispose()
    {
    }

    private sealed class Logger(RecordingLoggerProvider provider, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => provider._scopes?.Push(state);

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var text = formatter(state, exception) + " " + exception;
            if (state is IEnumerable<KeyValuePair<string, object?>> values)
            {
                // Structured values too: a sink that writes them (JSON console, OpenTelemetry) would show them.
                // A value that is a list (a header's values) is written item by item, as Serilog or OpenTelemetry would.
                text += " " + string.Join(" ", values.Select(v => v.Key + "=" + (v.Value is not string && v.Value is IEnumerable<object> items ? string.Join(",", items) : v.Value)));
            }

            provider._scopes?.ForEachScope((scope, _) => text += " scope:" + scope, state);
            provider._lines.Enqueue(new LogLine(category, logLevel, eventId, text));
        }
    }
}
