namespace GrowlyticsSdk.Threading;

/// <summary>Starts the client's long-running background work.</summary>
internal static class BackgroundWork
{
    /// <summary>
    /// Runs <paramref name="work"/> on the thread pool without the caller's <see cref="ExecutionContext"/>: a client is
    /// often created inside one request or job (its AsyncLocals, <c>Activity.Current</c>, logging scopes), and the
    /// requests and log lines of its background work belong to none of them. Every request then sees the same, empty
    /// context, whether the delivery loop starts it or a pool thread does.
    /// </summary>
    public static Task Start(Func<Task> work)
    {
        if (ExecutionContext.IsFlowSuppressed())
        {
            return Task.Run(work);
        }

        using (ExecutionContext.SuppressFlow())
        {
            return Task.Run(work);
        }
    }
}
