namespace GrowlyticsSdk.Threading;

/// <summary>
/// The continuations the shutdown and privacy paths chain onto their tasks: run whatever the task's outcome, at once on
/// the thread that ends it, on the default scheduler (never an application's), with no token to cancel them.
/// </summary>
internal static class TaskContinuations
{
    public static Task Then(this Task task, Action<Task, object?> action, object? state) =>
        task.ContinueWith(action, state, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

    public static Task<TResult> Then<TResult>(this Task task, Func<Task, object?, TResult> function, object? state) =>
        task.ContinueWith(function, state, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
}
