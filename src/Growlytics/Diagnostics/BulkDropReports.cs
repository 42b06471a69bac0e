namespace GrowlyticsSdk.Diagnostics;

/// <summary>
/// Reports the drops that have no event of their own (calls refused at the call: a full queue, after shutdown, opted
/// out, after the key was refused; held anonymous pushes that expire, are evicted or are dropped at shutdown; stored
/// records dropped by a storage limit, as damaged or with the local data) through
/// <see cref="GrowlyticsClient.MessageDropped"/>: summed per reason, one event per reason with its count, raised on a pool
/// thread, never on the thread that counted them. Only while the event has a handler; the caller's cost is then one
/// atomic add, and a work item per run of drops.
/// </summary>
internal sealed class BulkDropReports
{
    private static readonly WaitCallback ReportCallback = static state => ((BulkDropReports)state!).Report();

    private readonly long[] _pending;
    private readonly Action<DropReason, int> _raise;
    private readonly Func<bool>? _inHandler;
    private readonly IdleWaiter _idle;
    private volatile bool _listening;
    private int _scheduled;

    /// <param name="reasons">How many drop reasons there are.</param>
    /// <param name="raise">Raises the event for one reason and its count.</param>
    /// <param name="inHandler">
    /// Whether the drop is counted in the flow of one of the event's own handlers (a call it made, or started): counted, not
    /// reported back to the handlers, or a handler that records each drop with the client would be raised again for its
    /// own dropped call, for ever, while the client refuses calls (opted out, shut down, the key refused, a full queue).
    /// </param>
    public BulkDropReports(int reasons, Action<DropReason, int> raise, Func<bool>? inHandler = null)
    {
        _pending = new long[reasons];
        _raise = raise;
        _inHandler = inHandler;
        _idle = new IdleWaiter(IsIdle);
    }

    /// <summary>Sets whether the event has a handler: drops counted while it has none are not reported later.</summary>
    public bool Listening
    {
        set => _listening = value;
    }

    public void Add(DropReason reason, long count) => Add(reason, count, ofTheCall: true);

    /// <summary>
    /// Adds drops of other messages than the call being made (held pushes that expired, found by the call):
    /// reported even in the flow of a handler, whose own call they are not.
    /// </summary>
    public void AddOthers(DropReason reason, long count) => Add(reason, count, ofTheCall: false);

    private void Add(DropReason reason, long count, bool ofTheCall)
    {
        if (!_listening || count <= 0 || (ofTheCall && (_inHandler?.Invoke() ?? false)))
        {
            return;
        }

        Interlocked.Add(ref _pending[(int)reason], count);
        if (Volatile.Read(ref _scheduled) == 0 && Interlocked.CompareExchange(ref _scheduled, 1, 0) == 0)
        {
            // Without the caller's ExecutionContext: a handler must not run inside the request or scope that hit the drop.
            ThreadPool.UnsafeQueueUserWorkItem(ReportCallback, this);
        }
    }

    private void Report()
    {
        do
        {
            for (var i = 0; i < _pending.Length; i++)
            {
                var count = Interlocked.Exchange(ref _pending[i], 0);
                while (count > 0)
                {
                    var part = (int)Math.Min(count, int.MaxValue);
                    _raise((DropReason)i, part);
                    count -= part;
                }
            }

            // A full fence: the check below must not be done before the flag is seen cleared, or an Add in between would
            // see it still set and not schedule, while this check missed its count.
            Interlocked.Exchange(ref _scheduled, 0);
        }
        while (HasPending() && Interlocked.CompareExchange(ref _scheduled, 1, 0) == 0);

        _idle.CompleteIfIdle();
    }

    /// <summary>
    /// Returns a task that completes once every drop counted so far has been reported (its handlers returned): at once when
    /// nothing is waiting to be reported. Shutdown waits for it, so no event comes after the client has shut down.
    /// </summary>
    public Task WhenReportedAsync() => _idle.WhenIdleAsync();

    // No report scheduled or running, and nothing counted since the last one. A count added but not yet scheduled (an Add
    // between its two steps) is pending, so it is not idle: the report that Add schedules completes the wait.
    private bool IsIdle() => Volatile.Read(ref _scheduled) == 0 && !HasPending();

    private bool HasPending()
    {
        for (var i = 0; i < _pending.Length; i++)
        {
            if (Volatile.Read(ref _pending[i]) != 0)
            {
                return true;
            }
        }

        return false;
    }
}
