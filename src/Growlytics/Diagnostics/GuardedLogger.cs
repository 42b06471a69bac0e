using Microsoft.Extensions.Logging;

namespace GrowlyticsSdk.Diagnostics;

/// <summary>
/// The application's logger, as the SDK uses it: a logging provider that throws cannot take the delivery loop down,
/// leave a batch half settled, or throw into a caller's <c>Push</c>. What the provider throws is ignored (there is
/// nowhere left to report it); the SDK goes on as if the line had been written.
/// </summary>
internal sealed class GuardedLogger : ILogger
{
    private readonly ILogger _inner;

    public GuardedLogger(ILogger inner) => _inner = inner;

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull
    {
        try
        {
            return _inner.BeginScope(state);
        }
#pragma warning disable CA1031 // A faulty logging provider must not reach the SDK's callers or its background work.
        catch (Exception)
#pragma warning restore CA1031
        {
            return null;
        }
    }

    public bool IsEnabled(LogLevel logLevel)
    {
        try
        {
            return _inner.IsEnabled(logLevel);
        }
#pragma warning disable CA1031 // As above.
        catch (Exception)
#pragma warning restore CA1031
        {
            return false;
        }
    }

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        try
        {
            _inner.Log(logLevel, eventId, state, exception, formatter);
        }
#pragma warning disable CA1031 // As above.
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }
}
