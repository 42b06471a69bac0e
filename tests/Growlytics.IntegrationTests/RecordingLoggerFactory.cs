using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace GrowlyticsSdk.IntegrationTests;

/// <summary>A logger factory that keeps the event id and level of every log line, for assertions on what was logged.</summary>
internal sealed class RecordingLoggerFactory : ILoggerFactory, ILogger
{
    private readonly ConcurrentQueue<(int EventId, LogLevel Level)> _entries = new();

    public int Count(int eventId) => _entries.Count(e => e.EventId == eventId);

    public ILogger CreateLogger(string categoryName) => this;

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public void Dispose()
    {
    }

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        _entries.Enqueue((eventId.Id, logLevel));
}
