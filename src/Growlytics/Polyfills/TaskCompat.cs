namespace GrowlyticsSdk.Polyfills;

/// <summary>The few timer and task helpers whose API differs between netstandard2.0 and net8.0.</summary>
internal static class TaskCompat
{
    public static Task Delay(TimeProvider time, TimeSpan delay, CancellationToken cancellationToken = default) =>
#if NET8_0_OR_GREATER
        Task.Delay(delay, time, cancellationToken);
#else
        time.Delay(delay, cancellationToken);
#endif

    /// <summary>
    /// A wait of the SDK's background work (the delivery loop after a fault, the storage writer between turns) on
    /// <paramref name="time"/>, or, when that provider throws as the wait is made (an app's <see cref="TimeProvider"/> with
    /// a fault of its own), on the system's timer: the work must neither end at the fault (a loop that ended held every
    /// later call pending, and a flush returned at once) nor turn again without a pause.
    /// </summary>
    public static Task BackgroundDelay(TimeProvider time, TimeSpan delay, CancellationToken cancellationToken = default)
    {
        try
        {
            return Delay(time, delay, cancellationToken);
        }
#pragma warning disable CA1031 // Whatever the app's provider throws; the system's timer waits instead.
        catch (Exception) when (!ReferenceEquals(time, TimeProvider.System))
#pragma warning restore CA1031
        {
            return Delay(TimeProvider.System, delay, cancellationToken);
        }
    }

    public static Task WaitAsync(Task task, CancellationToken cancellationToken)
    {
#if NET8_0_OR_GREATER
        return task.WaitAsync(cancellationToken);
#else
        if (!cancellationToken.CanBeCanceled || task.IsCompleted)
        {
            return task;
        }

        return WaitSlowAsync(task, cancellationToken);

        static async Task WaitSlowAsync(Task task, CancellationToken cancellationToken)
        {
            var cancelled = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            using (cancellationToken.Register(static s => ((TaskCompletionSource<bool>)s!).TrySetResult(true), cancelled))
            {
                if (await Task.WhenAny(task, cancelled.Task).ConfigureAwait(false) != task)
                {
                    throw new OperationCanceledException(cancellationToken);
                }
            }

            await task.ConfigureAwait(false);
        }
#endif
    }
}
