using Microsoft.Extensions.Logging;

namespace GrowlyticsSdk.Tests.Storage;

/// <summary>Records the event ids and messages the SDK logs.</summary>
internal sealed class RecordingLoggerFactory : ILoggerFactory, ILogger
{
    private readonly List<(int EventId, string Message)> _entries = [];

    /// <summary>Gets or sets what runs, on the logging thread, after each entry is recorded (its event id given).</summary>
    public Action<int>? OnEntry { get; set; }

    public IReadOnlyList<(int EventId, string Message)> Entries
    {
        get
        {
            lock (_entries)
            {
                return [.. _entries];
            }
        }
    }

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public ILogger CreateLogger(string categoryName) => this;

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        lock (_entries)
        {
            _entries.Add((eventId.Id, formatter(state, exception)));
        }

        OnEntry?.Invoke(eventId.Id);
    }

    public void Dispose()
    {
    }
}
