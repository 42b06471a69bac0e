using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace GrowlyticsSdk.Tests.TestSupport.Caller;

/// <summary>An <see cref="ILoggerFactory"/> that keeps every log line in memory.</summary>
internal sealed class CallerLoggerFactory : ILoggerFactory
{
    private readonly ConcurrentQueue<CallerLogEntry> _entries = new();

    /// <summary>
    /// Gets the lines logged so far, once <see cref="Written"/> holds (waited for in real time, 20 s at most): the warnings
    /// a call triggers are written on the thread pool, so a line that should not be there is found, not missed.
    /// </summary>
    public IReadOnlyList<CallerLogEntry> Entries
    {
        get
        {
            if (Written is { } written && !SpinWait.SpinUntil(written, TimeSpan.FromSeconds(20)))
            {
                throw new TimeoutException("The warnings calls triggered were still not written after 20 s.");
            }

            return _entries.ToArray();
        }
    }

    public IReadOnlyList<CallerLogEntry> Warnings => Entries.Where(e => e.Level == LogLevel.Warning).ToArray();

    /// <summary>Gets or sets whether every line the client's calls triggered so far has been written.</summary>
    public Func<bool>? Written { get; set; }

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
