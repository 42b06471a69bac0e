using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace GrowlyticsSdk.Tests.TestSupport;

/// <summary>A logger factory that keeps every log line (event id, level, formatted text, exception) for assertions.</summary>
internal sealed class DeliveryLog : ILoggerFactory, ILogger
{
    private readonly ConcurrentQueue<Entry> _entries = new();

    public IReadOnlyList<Entry> Entries => _entries.ToArray();

    /// <summary>Gets or sets an event id whose logging throws, as a faulty logging provider would.</summary>
    public int? ThrowOn { get; set; }

    /// <summary>Gets or sets a value indicating whether every log call throws, as a broken logging provider would.</summary>
    public bool ThrowOnEvery { get; set; }

    /// <summary>Gets or sets what runs, on the logging thread, before a line with the given event id is kept.</summary>
    public Action<int>? BeforeLog { get; set; }

    public IEnumerable<Entry> WithId(int eventId) => Entries.Where(e => e.EventId == eventId);

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

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        BeforeLog?.Invoke(eventId.Id);
        var fields = state as IEnumerable<KeyValuePair<string, object?>> ?? [];
        _entries.Enqueue(new Entry(eventId.Id, logLevel, formatter(state, exception), exception, fields.ToDictionary(f => f.Key, f => f.Value)));
        if (eventId.Id == ThrowOn || ThrowOnEvery)
        {
            throw new InvalidOperationException("logging provider fault");
        }
    }

    public sealed record Entry(int EventId, LogLevel Level, string Text, Exception? Exception, IReadOnlyDictionary<string, object?> Fields)
    {
        public string Everything => Text + " " + Exception;
    }
}
