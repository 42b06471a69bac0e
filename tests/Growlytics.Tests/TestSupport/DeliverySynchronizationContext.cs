using System.Collections.Concurrent;

namespace GrowlyticsSdk.Tests.TestSupport;

/// <summary>
/// A UI-like context: every continuation posted to it runs on one dedicated thread, so blocking that thread
/// while waiting for such a continuation deadlocks, as it would on a WPF or WinForms UI thread.
/// </summary>
internal sealed class DeliverySynchronizationContext : SynchronizationContext, IDisposable
{
    private readonly BlockingCollection<(SendOrPostCallback Callback, object? State)> _work = new();
    private readonly Thread _thread;

    public DeliverySynchronizationContext()
    {
        _thread = new Thread(Pump) { IsBackground = true, Name = "single-threaded context" };
        _thread.Start();
    }

    public override void Post(SendOrPostCallback d, object? state) => _work.Add((d, state));

    public override void Send(SendOrPostCallback d, object? state) => throw new NotSupportedException();

    /// <summary>Runs <paramref name="action"/> on the context's thread and completes when it returns.</summary>
    public Task RunAsync(Action action)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Post(
            _ =>
            {
                try
                {
                    action();
                    done.SetResult();
                }
                catch (Exception ex)
                {
                    done.SetException(ex);
                }
            },
            null);
        return done.Task;
    }

    public void Dispose() => _work.CompleteAdding();

    private void Pump()
    {
        SetSynchronizationContext(this);
        foreach (var (callback, state) in _work.GetConsumingEnumerable())
        {
            callback(state);
        }
    }
}
