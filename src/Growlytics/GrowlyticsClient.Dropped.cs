using GrowlyticsSdk.Diagnostics;

namespace GrowlyticsSdk;

// The client's drops as the application sees them: the MessageDropped event and invalid input dropped at the call.
public sealed partial class GrowlyticsClient
{
    /// <summary>
    /// Occurs on a background thread when the client gives up on messages: refused by the service (with the customer id
    /// and the 422's field and rule), out of retries, and every other drop counted in <see cref="Statistics"/>. Messages
    /// the client was delivering are reported one event per message or request. Calls refused at the call (a full queue,
    /// after shutdown, while opted out, after the key was refused), anonymous pushes held for a login
    /// (<see cref="GrowlyticsProtocol.Rest"/>) that expire, make room for other visitors or are dropped at shutdown, and
    /// stored records dropped by a storage limit (<see cref="GrowlyticsOptions.MaxStorageBytes"/>,
    /// <see cref="GrowlyticsOptions.MaxStorageAge"/>), as damaged, or with the local data are reported summed per
    /// reason, without a customer id, shortly after, on a pool thread; <see cref="ShutdownAsync"/> returns after their
    /// handlers have run (waiting past its deadline for 250 ms at most). The handlers the delivery loop or the shutdown's
    /// own count runs (one per message left) run one by one for 250 ms past the deadline; the drops counted after that
    /// come summed per reason, without a customer id, before <see cref="ShutdownAsync"/> returns, so a large backlog
    /// does not hold the shutdown for one handler call per message. A handler that has run for those 250 ms with no
    /// other drop reported meanwhile is not waited for: what they hold is then counted when it returns (event 2016). Only drops
    /// counted while the event has a handler are reported. Handlers must be quick (delivery waits for the handlers the
    /// delivery loop runs: one that blocks on <see cref="FlushAsync"/>, or marshals to a thread blocked on it, stops
    /// delivery for good) and must not throw (an exception is
    /// logged and ignored; the other handlers are still called). Carries no attribute value. Anonymous attributes held for
    /// a login (<see cref="GrowlyticsProtocol.Rest"/>) that <see cref="OptOut"/> or <see cref="DeleteLocalDataAsync"/> drop are
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
#pragma warning disable CA1031 // An application's handler must not take the delivery loop down, nor keep the others from the drop.
                catch (Exception ex)
#pragma warning restore CA1031
                {
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
