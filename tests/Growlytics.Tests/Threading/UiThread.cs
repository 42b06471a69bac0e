using System.Collections.Concurrent;

namespace GrowlyticsSdk.Tests.Threading;

/// <summary>
/// A UI thread: one thread pumping a single-threaded <see cref="SynchronizationContext"/>, as WinForms, WPF or MAUI run
/// theirs. Work the test runs on it is its own; anything else posted to it (a continuation the library let capture the
/// context) is counted in <see cref="ForeignPosts"/>, and still run, as a UI thread would once it is free.
/// </summary>
internal sealed class UiThread : IDisposable
{
    private readonly BlockingCollection<(SendOrPostCallback Callback, object? State)> _work = new();
    private readonly Thread _thread;
    private readonly Context _context;
    private int _foreignPosts;

    public UiThread()
    {
        _context = new Context(this);
        _thread = new Thread(Pump) { IsBackground = true, Name = "UI thread" };
        _thread.Start();
    }

    /// <summary>Gets how many callbacks something other than the test posted (or sent) to the UI context.</summary>
    public int ForeignPosts => Volatile.Read(ref _foreignPosts);

    public int ManagedThreadId => _thread.ManagedThreadId;

    public bool IsCurrent => Thread.CurrentThread == _thread;

    /// <summary>Runs <paramref name="action"/> on the UI thread (as a click handler); completes when it returns.</summary>
    public Task RunAsync(Action action)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _work.Add((
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
            null));
        return done.Task;
    }

    public void Dispose() => _work.CompleteAdding();

    private void Pump()
    {
        SynchronizationContext.SetSynchronizationContext(_context);
        foreach (var (callback, state) in _work.GetConsumingEnumerable())
        {
            callback(state);
        }
    }

    private sealed class Context(UiThread owner) : SynchronizationContext
    {
        public override void Post(SendOrPostCallback d, object? state)
        {
            Interlocked.Increment(ref owner._foreignPosts);
            owner._work.Add((d, state));
        }

        public override void Send(SendOrPostCallback d, object? state)
        {
            Interlocked.Increment(ref owner._foreignPosts);
            if (owner.IsCurrent)
            {
                d(state);
                return;
            }

            using var done = new ManualResetEventSlim();
            owner._work.Add((s => { d(s); done.Set(); }, state));
            done.Wait();
        }

        public override SynchronizationContext CreateCopy() => this;
    }
}
