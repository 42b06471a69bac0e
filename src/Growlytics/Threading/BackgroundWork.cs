namespace GrowlyticsSdk.Threading;

/// <summary>Starts the client's background work (its loops and its own timers).</summary>
internal static class BackgroundWork
{
    /// <summary>
    /// Runs <paramref name="work"/> on the thread pool without the caller's <see cref="ExecutionContext"/>: a client is
    /// often created inside one request or job (its AsyncLocals, <c>Activity.Current</c>, logging scopes), and the
    /// requests and log lines of its background work belong to none of them. Every request then sees the same, empty
    /// context, whether the delivery loop starts it or a pool thread does.
    /// </summary>
    public static Task Start(Func<Task> work) => WithoutFlow(work, static w => Task.Run(w));

    /// <summary>Runs <paramref name="work"/> on the thread pool without the caller's <see cref="ExecutionContext"/>, as <see cref="Start(Func{Task})"/>.</summary>
    public static Task<TResult> Start<TResult>(Func<TResult> work) => WithoutFlow(work, static w => Task.Run(w));

    /// <summary>
    /// Creates a timer of the client's own (a periodic sweep) that runs without the context of the call that happens to
    /// create it first, for the same reason as <see cref="Start"/>.
    /// </summary>
    public static ITimer CreateTimer(TimeProvider time, TimerCallback callback, object state, TimeSpan dueTime, TimeSpan period) =>
        WithoutFlow((time, callback, state, dueTime, period), static t => t.time.CreateTimer(t.callback, t.state, t.dueTime, t.period));

    /// <summary>
    /// As <see cref="CreateTimer"/>, on the system's timer when <paramref name="time"/> (an app's <see cref="TimeProvider"/>)
    /// throws as the timer is made: for work that must go on whatever the app's clock does at that moment, and whose
    /// caller must not see the fault (see <c>TaskCompat.BackgroundDelay</c> for waits).
    /// </summary>
    public static ITimer CreateTimerOrSystem(TimeProvider time, TimerCallback callback, object state, TimeSpan dueTime, TimeSpan period)
    {
        try
        {
            return CreateTimer(time, callback, state, dueTime, period);
        }
#pragma warning disable CA1031 // Whatever the app's provider throws; the system's timer runs instead.
        catch (Exception) when (!ReferenceEquals(time, TimeProvider.System))
#pragma warning restore CA1031
        {
            return CreateTimer(TimeProvider.System, callback, state, dueTime, period);
        }
    }

    /// <summary>
    /// Runs <paramref name="create"/> on this thread with the caller's <see cref="ExecutionContext"/> kept from what it
    /// starts or registers (a library's worker started as it is built, a continuation that waits for the client's end),
    /// for the same reason as <see cref="Start"/>: such work would otherwise keep that context alive, and run in it, for
    /// the client's lifetime.
    /// </summary>
    public static TResult WithoutFlow<TResult>(Func<TResult> create) => WithoutFlow(create, static c => c());

    private static TResult WithoutFlow<TArg, TResult>(TArg argument, Func<TArg, TResult> create)
    {
        if (ExecutionContext.IsFlowSuppressed())
        {
            return create(argument);
        }

        using (ExecutionContext.SuppressFlow())
        {
            return create(argument);
        }
    }
}
