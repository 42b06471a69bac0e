using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace GrowlyticsSdk.Diagnostics;

/// <summary>
/// The logger of the lines a call can trigger on the caller's thread (a full queue, a refused call, an invalid call
/// dropped, an identify without logout): each line is written on the thread pool, in the order the calls logged them, so
/// a call never waits for a logging provider that writes synchronously to a slow sink (a file, a network shipper). Those
/// lines come once per interval at most, so this costs a work item per interval. A starved pool delays the line, never
/// the call; the shutdown writes what is left before its totals (see <see cref="Flush"/>).
/// </summary>
internal sealed class OffCallerLogger : ILogger
{
    private static readonly WaitCallback WriteCallback = static logger => ((OffCallerLogger)logger!).Write();

    private readonly ILogger _inner;
    private readonly ConcurrentQueue<Line> _lines = new();

    // Held while lines are taken and written, by the pool's writer or by Flush: one writer at a time, in order.
    private readonly object _writing = new();
    private int _scheduled;

    // The lines logged and not yet written (taken or not).
    private int _unwritten;

    /// <param name="inner">The SDK's <see cref="GuardedLogger"/>: a provider's fault never reaches the pool thread.</param>
    public OffCallerLogger(ILogger inner) => _inner = inner;

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => _inner.BeginScope(state);

    /// <summary>Gets a value indicating whether every line logged so far has been written.</summary>
    public bool IsIdle => Volatile.Read(ref _unwritten) == 0;

    public bool IsEnabled(LogLevel logLevel) => _inner.IsEnabled(logLevel);

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        Interlocked.Increment(ref _unwritten);
        _lines.Enqueue(new Line<TState>(logLevel, eventId, state, exception, formatter));
        if (Interlocked.CompareExchange(ref _scheduled, 1, 0) == 0)
        {
            // Without the caller's ExecutionContext: the line must not keep a request's scope or Activity alive.
            ThreadPool.UnsafeQueueUserWorkItem(WriteCallback, this);
        }
    }

    /// <summary>
    /// Writes the lines queued so far on this thread, after the one being written, if any (the shutdown, before its
    /// totals: a line queued before it comes before them, and is written even if the pool has no thread for it).
    /// </summary>
    public void Flush() => WriteQueued();

    private void Write()
    {
        do
        {
            WriteQueued();

            // A full fence: a line queued after the loop above saw the queue empty either sees the flag cleared and
            // schedules, or is seen by the check below.
            Interlocked.Exchange(ref _scheduled, 0);
        }
        while (!_lines.IsEmpty && Interlocked.CompareExchange(ref _scheduled, 1, 0) == 0);
    }

    private void WriteQueued()
    {
        lock (_writing)
        {
            while (_lines.TryDequeue(out var line))
            {
                line.WriteTo(_inner);
                Interlocked.Decrement(ref _unwritten);
            }
        }
    }

    private abstract class Line
    {
        public abstract void WriteTo(ILogger logger);
    }

    private sealed class Line<TState>(LogLevel level, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) : Line
    {
        public override void WriteTo(ILogger logger) => logger.Log(level, eventId, state, exception, formatter);
    }
}
