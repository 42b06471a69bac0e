using System.Collections.Concurrent;

namespace GrowlyticsSdk.Tests.Threading;

/// <summary>
/// An application's limited-concurrency <see cref="TaskScheduler"/> (one thread, as an actor's or a UI's): the task the
/// test starts on it is its own; any other task queued to it (work the library started on <see cref="TaskScheduler.Current"/>)
/// is counted in <see cref="ForeignTasks"/>, and still run.
/// </summary>
internal sealed class OneThreadScheduler : TaskScheduler, IDisposable
{
    private readonly BlockingCollection<Task> _tasks = new();
    private readonly Thread _thread;
    private Task? _own;
    private int _foreign;

    public OneThreadScheduler()
    {
        _thread = new Thread(Run) { IsBackground = true, Name = "app scheduler" };
        _thread.Start();
    }

    public int ForeignTasks => Volatile.Read(ref _foreign);

    public override int MaximumConcurrencyLevel => 1;

    /// <summary>Runs <paramref name="action"/> as a task on this scheduler; completes when it returns.</summary>
    public Task RunAsync(Action action)
    {
        var task = new Task(action);
        _own = task;
        task.Start(this);
        return task;
    }

    public void Dispose() => _tasks.CompleteAdding();

    protected override void QueueTask(Task task)
    {
        if (!ReferenceEquals(task, _own))
        {
            Interlocked.Increment(ref _foreign);
        }

        _tasks.Add(task);
    }

    protected override bool TryExecuteTaskInline(Task task, bool taskWasPreviouslyQueued) =>
        Thread.CurrentThread == _thread && TryExecuteTask(task);

    protected override IEnumerable<Task> GetScheduledTasks() => _tasks.ToArray();

    private void Run()
    {
        foreach (var task in _tasks.GetConsumingEnumerable())
        {
            TryExecuteTask(task);
        }
    }
}
