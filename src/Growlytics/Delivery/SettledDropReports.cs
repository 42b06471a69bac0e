using GrowlyticsSdk.Diagnostics;
using GrowlyticsSdk.Protocols;

namespace GrowlyticsSdk.Delivery;

/// <summary>
/// Reports the drops <see cref="Settler"/> counts one by one (a refusal with its customer id, status and the 422's field
/// and rule; retries run out; the shutdown's count) through <see cref="GrowlyticsClient.MessageDropped"/>, off the thread
/// that settled them: queued in the order they were settled and raised one at a time on a pool thread, so a handler that is
/// slow, or waits for <see cref="GrowlyticsClient.FlushAsync"/> or a thread blocked on it, holds only the reports after
/// its own, never delivery. At most <see cref="Bound"/> reports wait; a drop beyond them, and every drop once
/// <see cref="SumFromNow"/> was called (what still waits then included), is reported summed per reason by
/// <see cref="BulkDropReports"/>, without its details. Only while the event has a handler; the settling thread's cost is
/// then the report, a short lock (never held while a handler runs; only drops take it) and a work item per run of drops.
/// The queue is a <see cref="Queue{T}"/> that never holds more than <see cref="Bound"/> reports, so its array does not
/// grow past them.
/// </summary>
internal sealed class SettledDropReports
{
    /// <summary>The most reports waiting for the handlers (about 100 bytes each).</summary>
    public const int Bound = 1000;

    private static readonly WaitCallback ReportCallback = static state => ((SettledDropReports)state!).Report();

    private readonly Queue<MessageDroppedEventArgs> _queue = new();
    private readonly Action<MessageDroppedEventArgs> _raise;
    private readonly BulkDropReports _bulk;
    private readonly IdleWaiter _idle;
    private volatile bool _listening;
    private volatile bool _summing;

    // The queue's count, written under its lock, read without it.
    private int _waiting;
    private int _scheduled;
    private int _inHandlers;
    private long _handlerCalls;

    public SettledDropReports(Action<MessageDroppedEventArgs> raise, BulkDropReports bulk)
    {
        _raise = raise;
        _bulk = bulk;
        _idle = new IdleWaiter(IsIdle);
    }

    /// <summary>Sets whether the event has a handler: drops counted while it has none are not reported later.</summary>
    public bool Listening
    {
        set => _listening = value;
    }

    /// <summary>Gets how many reports wait for the handlers.</summary>
    public int Waiting => Volatile.Read(ref _waiting);

    /// <summary>Gets a value indicating whether a drop is being reported to the application's handlers now.</summary>
    public bool InHandler => Volatile.Read(ref _inHandlers) != 0;

    /// <summary>Gets how many drops have been reported to the application's handlers so far (begun, not only ended).</summary>
    public long HandlerCalls => Interlocked.Read(ref _handlerCalls);

    /// <summary>
    /// From now on, drops are reported summed per reason, without their details, those still waiting included: for a
    /// shutdown past its deadline and grace, which would otherwise wait for one handler call per drop left.
    /// </summary>
    public void SumFromNow()
    {
        _summing = true;
        Schedule();
    }

    public void Add(Envelope envelope, DropReason reason, int status, RejectionDetails? rejection)
    {
        if (!_listening)
        {
            return;
        }

        var message = envelope.Message;
        if (!_summing)
        {
            var queued = false;
            lock (_queue)
            {
                if (_queue.Count < Bound)
                {
                    _queue.Enqueue(new MessageDroppedEventArgs(reason, message.Calls, message.UserId, status == 0 ? null : status, rejection?.Path, rejection?.Type));
                    Volatile.Write(ref _waiting, _queue.Count);
                    queued = true;
                }
            }

            if (queued)
            {
                Schedule();
                return;
            }
        }

        // Beyond the bound, or past the shutdown's grace: summed.
        _bulk.Add(reason, message.Calls);
    }

    /// <summary>
    /// Returns a task that completes once every report queued so far has been raised and its handlers returned, or passed
    /// on summed (then <see cref="BulkDropReports.WhenReportedAsync"/> completes once it is reported): at once when none waits.
    /// </summary>
    public Task WhenReportedAsync() => _idle.WhenIdleAsync();

    private void Schedule()
    {
        // A full fence (no read of the flag first): the report just queued must be seen by a reporter that clears the flag
        // after this, or this must see the flag cleared.
        if (Interlocked.CompareExchange(ref _scheduled, 1, 0) == 0)
        {
            // Without the settling thread's ExecutionContext: a handler must not run inside the flow that hit the drop.
            ThreadPool.UnsafeQueueUserWorkItem(ReportCallback, this);
        }
    }

    private void Report()
    {
        do
        {
            while (TryTake(out var args))
            {
                if (_summing)
                {
                    _bulk.Add(args.Reason, args.Count);
                    continue;
                }

                Interlocked.Increment(ref _inHandlers);
                Interlocked.Increment(ref _handlerCalls);
                try
                {
                    // Catches and logs what a handler throws.
                    _raise(args);
                }
                finally
                {
                    Interlocked.Decrement(ref _inHandlers);
                }
            }

            // A full fence: the check below must not be done before the flag is seen cleared, or an Add in between would
            // see it still set and not schedule, while this check missed its report.
            Interlocked.Exchange(ref _scheduled, 0);
        }
        while (Volatile.Read(ref _waiting) != 0 && Interlocked.CompareExchange(ref _scheduled, 1, 0) == 0);

        _idle.CompleteIfIdle();
    }

    private bool TryTake(out MessageDroppedEventArgs args)
    {
        lock (_queue)
        {
            if (_queue.Count == 0)
            {
                args = null!;
                return false;
            }

            args = _queue.Dequeue();
            Volatile.Write(ref _waiting, _queue.Count);
            return true;
        }
    }

    // No reporter scheduled or running, and no report queued (one is queued before its reporter is scheduled).
    private bool IsIdle() => Volatile.Read(ref _scheduled) == 0 && Volatile.Read(ref _waiting) == 0;
}
