using GrowlyticsSdk.Delivery;
using GrowlyticsSdk.Diagnostics;

namespace GrowlyticsSdk;

// The client's drops as the application sees them: the MessageDropped event and invalid input dropped at the call.
public sealed partial class GrowlyticsClient
{
    /// <summary>
    /// Occurs on a background thread when the client gives up on messages: refused by the service (with the customer id
    /// and the 422's field and rule), out of retries, and every other drop counted in <see cref="Statistics"/>. Messages
    /// the client was delivering are reported one event per message or request, in the order they were settled, one
    /// handler call at a time, on a pool thread (never the delivery loop's nor a caller's): a handler that is slow, blocks
    /// on <see cref="FlushAsync"/>, or marshals to a thread blocked on it holds only the reports after its own, never
    /// delivery. A drop is counted in <see cref="Statistics"/> when it is settled, before its report, so
    /// <see cref="FlushAsync"/> may complete before the handlers of its drops have run. At most 1,000 such reports wait
    /// for a slow handler (about 100 KB); the drops beyond them are reported summed per reason, without a customer id,
    /// status or field, shortly after (so possibly before reports that were waiting). Calls refused at the call (a full queue,
    /// after shutdown, while opted out, after the key was refused), anonymous pushes held for a login
    /// (<see cref="GrowlyticsProtocol.Rest"/>) that expire, make room for other visitors or are dropped at shutdown, and
    /// stored records dropped by a storage limit (<see cref="GrowlyticsOptions.MaxStorageBytes"/>,
    /// <see cref="GrowlyticsOptions.MaxStorageAge"/>), as damaged, or with the local data are reported summed per
    /// reason, without a customer id, shortly after, on a pool thread (not ordered with the reports above, and possibly
    /// while one of their handlers runs). <see cref="ShutdownAsync"/> returns after the handlers have run for every drop
    /// counted before it ends, waiting past its deadline for 250 ms at most: the reports still waiting after those
    /// 250 ms come summed per reason, so a large backlog does not hold the shutdown for one handler call per message,
    /// and a handler that has run for those 250 ms with no other report begun meanwhile is not waited for (event 2016;
    /// the drops are all counted, and those it held back are reported, summed, when it returns). Only drops counted while
    /// the event has a handler are reported. A call that a handler makes (or starts) with this client and that is dropped
    /// at the call (refused while opted out, shut down or after the key was refused; a full queue, the oldest message it
    /// displaces with <see cref="QueueOverflowPolicy.DropOldest"/>, or another visitor's anonymous pushes held for a login
    /// that its own held push makes room for with <see cref="GrowlyticsProtocol.Rest"/>) is counted and logged, not
    /// reported back to the handlers: a handler that records each drop with the client is not raised again for its own
    /// call, and again, for as long as the client refuses calls. Handlers must not throw (an exception is logged and
    /// ignored; the other handlers are still called). Carries no attribute value. Anonymous attributes held for a login
    /// (<see cref="GrowlyticsProtocol.Rest"/>) that <see cref="OptOut"/> or <see cref="DeleteLocalDataAsync"/> drop are
    /// reported on the calling thread, outside the client's locks (a handler may call <see cref="OptIn"/>).
    /// </summary>
    public event EventHandler<MessageDroppedEventArgs>? MessageDropped
    {
        add
        {
            lock (_droppedGate)
            {
                _messageDropped += value;
                OnHandlersChanged();
            }
        }

        remove
        {
            lock (_droppedGate)
            {
                _messageDropped -= value;
                OnHandlersChanged();
            }
        }
    }

    internal void RaiseDropped(MessageDroppedEventArgs args)
    {
        if (t_deferredDrops is { } deferred)
        {
            // Inside OptOut's lock: raised once the lock is released (see OptOut).
            deferred.Add((this, args));
            return;
        }

        if (Volatile.Read(ref _droppedHandlers) is not { } handlers)
        {
            return;
        }

        var outer = InDroppedHandler.Value;
        InDroppedHandler.Value = this;
        try
        {
            foreach (var handler in handlers)
            {
                try
                {
                    handler(this, args);
                }
#pragma warning disable CA1031 // An application's handler must not take the reporting thread down, nor keep the others from the drop.
                catch (Exception ex)
#pragma warning restore CA1031
                {
                    Volatile.Write(ref _latestHandlerFault, ex.GetType().Name);
                    if (_handlerFaults.TryReport(out var faults))
                    {
                        Log.DroppedHandlerFault(_logger, ex.GetType().Name, faults);
                    }
                }
            }
        }
        finally
        {
            InDroppedHandler.Value = outer;
        }
    }

    /// <summary>
    /// Starts the client's own work (its shutdown, a deletion of local data) outside the flow of a <see cref="MessageDropped"/>
    /// handler that asks for it: the drops that work counts are the client's, reported as ever, not the handler's own calls
    /// (see <see cref="BulkDropReports"/>).
    /// </summary>
    private static T OutsideDroppedHandler<T>(Func<T> start)
    {
        var outer = InDroppedHandler.Value;
        if (outer is null)
        {
            return start();
        }

        InDroppedHandler.Value = null;
        try
        {
            return start();
        }
        finally
        {
            InDroppedHandler.Value = outer;
        }
    }

    /// <summary>
    /// Completes once every drop counted so far has been raised through <see cref="MessageDropped"/> and its handlers have
    /// returned: those settled one by one (see <see cref="SettledDropReports"/>), then those reported in bulk (those with no
    /// event of their own, and what the former summed; see <see cref="BulkDropReports"/>).
    /// </summary>
    internal async Task DropsReportedAsync()
    {
        await _settledDrops.WhenReportedAsync().ConfigureAwait(false);
        await _bulkDrops.WhenReportedAsync().ConfigureAwait(false);
    }

    /// <summary>Gets how many reports of drops settled one by one wait for the <see cref="MessageDropped"/> handlers (for tests).</summary>
    internal int PendingDropReports => _settledDrops.Waiting;

    /// <summary>Gets the most reports that wait for the handlers; the drops beyond them are reported summed per reason.</summary>
    internal const int MaxPendingDropReports = SettledDropReports.Bound;

    // Under _droppedGate.
    private void OnHandlersChanged()
    {
        var handlers = _messageDropped?.GetInvocationList();
        EventHandler<MessageDroppedEventArgs>[]? typed = null;
        if (handlers is not null)
        {
            typed = new EventHandler<MessageDroppedEventArgs>[handlers.Length];
            for (var i = 0; i < handlers.Length; i++)
            {
                typed[i] = (EventHandler<MessageDroppedEventArgs>)handlers[i];
            }
        }

        Volatile.Write(ref _droppedHandlers, typed);
        _bulkDrops.Listening = typed is not null;
        _settledDrops.Listening = typed is not null;
    }

    internal bool TryDropInvalidInput(GrowlyticsValidationException exception)
    {
        if (_options.InvalidInputHandling != InvalidInputHandling.Drop)
        {
            return false;
        }

        _counters.AddInvalidInput();
        if (_invalidInputReports.TryReport(out var count))
        {
            Log.InvalidInputDropped(_callLogger, count, exception.Message);
        }

        return true;
    }
}
