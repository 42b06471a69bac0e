using Microsoft.Extensions.Logging;

namespace GrowlyticsSdk.Tests.TestSupport;

/// <summary>
/// A logger that holds the first queue-full log call (event 2001) until released: the call that logs it stops there,
/// between the queue's refusal check and adding its message, as a thread preempted there would.
/// </summary>
internal sealed class BlockingQueueFullLog : ILoggerFactory, ILogger
{
    private int _held;

    public ManualResetEventSlim Entered { get; } = new();

    public ManualResetEventSlim Release { get; } = new();

    public ILogger CreateLogger(string categoryName) => this;

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public void Dispose()
    {
        Entered.Dispose();
        Release.Dispose();
    }

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (eventId.Id == 2001 && Interlocked.Exchange(ref _held, 1) == 0)
        {
            Entered.Set();
            Release.Wait(TimeSpan.FromSeconds(15));
        }
    }
}
