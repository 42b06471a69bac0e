using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace GrowlyticsSdk.Tests.TestSupport.Caller;

/// <summary>An <see cref="ILoggerFactory"/> that keeps every log line in memory.</summary>
internal sealed class CallerLoggerFactory : ILoggerFactory
{
    private readonly ConcurrentQueue<CallerLogEntry> _entries = new();

    public IReadOnlyList<CallerLogEntry> Entries => _entries.ToArray();

    public IReadOnlyList<CallerLogEntry> Warnings => Entries.Where(e => e.Level == LogLevel.Warning).ToArray();

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public ILogger CreateLogger(string categoryName) => new Logger(_entries);

    public void Dispose()
    {
    }

    private sealed class Logger : ILogger
    {
        private readonly ConcurrentQueue<CallerLogEntry> _entries;

        public Logger(ConcurrentQueue<CallerLogEntry> entries) => _entries = entries;

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            _entries.Enqueue(new CallerLogEntry(logLevel, eventId, formatter(state, exception), exception));
    }
}
