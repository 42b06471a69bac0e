using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace GrowlyticsSdk.Tests.TestSupport.Caller;

/// <summary>An <see cref="ILoggerFactory"/> that keeps every log line in memory.</summary>
internal sealed class CallerLoggerFactory : ILoggerFactory
{
    private readonly ConcurrentQueue<CallerLogEntry> _entries = new();

    public IReadOnlyList<CallerLogEntry> Entries => _entries.ToArray();

    public IReadOnlyList<CallerLogEntry> Warnings => Entries.Where(e => e.Level == LogLevel.Warning).ToArray();

    /// <summary>
    /// The warnings once at least <paramref name="count"/> were logged, waiting for them in real time (20 s at most): the
    /// warnings a call triggers are written on the thread pool, not on the caller's thread.
    /// </summary>
    public IReadOnlyList<CallerLogEntry> WarningsAfter(int count)
    {
        SpinWait.SpinUntil(() => Warnings.Count >= count, TimeSpan.FromSeconds(20));
        return Warnings;
    }

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
