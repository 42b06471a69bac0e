using GrowlyticsSdk.Threading;

namespace GrowlyticsSdk.Delivery;

/// <summary>
/// How many requests may be in flight at once, adjusted AIMD-style: a 429 or a <c>Retry-After</c> halves the limit
/// (at most once per <see cref="DecreaseSpacing"/>, so one burst of refusals counts once), each success adds one back,
/// up to <see cref="GrowlyticsOptions.MaxConcurrentRequests"/>. A slot is held only while an attempt is on the wire:
/// a batch waiting out its backoff holds none, and retries waiting for a slot go before new batches. A slot whose answer
/// said when to come back (<c>Retry-After</c>) is taken until then (<see cref="ReleaseAfter"/>): answers come fast, so a
/// limit on requests in flight alone lets a refused client send as many requests a second as it has batches waiting. Each
/// success gives one such slot back: a service that refuses only some requests slows the client by the halving, not by a
/// slot per refusal (with 1 answer in 10 refused, that held the client to about ten times its limit a second).
/// </summary>
internal sealed class ConcurrencyLimiter
{
    /// <summary>The least time between two decreases.</summary>
    public static readonly TimeSpan DecreaseSpacing = TimeSpan.FromSeconds(1);

    private readonly object _gate = new();
    private readonly Queue<TaskCompletionSource<bool>> _waiters = new();
    private readonly TimeProvider _time;
    private readonly int _max;
    private readonly Action _onRoom;
    private int _limit;
    private int _active;

    // Slots taken until a Retry-After ends, each with its timer.
    private readonly HashSet<ITimer> _cooling = new();
    private bool _ended;
    private long _lastDecrease = long.MinValue;

    public ConcurrencyLimiter(int max, TimeProvider time, Action onRoom)
    {
        _max = max;
        _limit = max;
        _time = time;
        _onRoom = onRoom;
    }

    /// <summary>
    /// Gets the most requests in flight at once: <paramref name="configured"/> (<see cref="GrowlyticsOptions.MaxConcurrentRequests"/>
    /// or the protocol's default), or the primary handler's connections per server when it has fewer
    /// (<paramref name="connectionLimit"/>, <see langword="null"/> when the SDK cannot see the handler). Requests beyond the
    /// handler's connections would wait inside it for one while their attempt's timeout runs; capped here, they wait for a
    /// slot instead, before the attempt begins. <see cref="int.MaxValue"/> (the handlers' default) caps nothing.
    /// </summary>
    public static int MaxInFlight(int configured, int? connectionLimit) =>
        connectionLimit is > 0 and var limit && limit < configured ? limit : configured;

    /// <summary>Gets the most the limit grows back to (the limit at the start).</summary>
    public int Max => _max;

    /// <summary>Gets the current limit.</summary>
    public int Limit
    {
        get
        {
            lock (_gate)
            {
                return _limit;
            }
        }
    }

    /// <summary>Gets the attempts on the wire now.</summary>
    public int Active
    {
        get
        {
            lock (_gate)
            {
                return _active;
            }
        }
    }

    /// <summary>Takes a slot for a new batch's first attempt, only if one is free and no retry is waiting for one.</summary>
    public bool TryAcquireForNew()
    {
        lock (_gate)
        {
            if (_active + _cooling.Count < _limit && _waiters.Count == 0)
            {
                _active++;
                return true;
            }

            return false;
        }
    }

    /// <summary>Waits for a slot (a retry's attempt).</summary>
    public Task AcquireAsync(CancellationToken cancellationToken)
    {
        TaskCompletionSource<bool> waiter;
        lock (_gate)
        {
            if (_active + _cooling.Count < _limit && _waiters.Count == 0)
            {
                _active++;
                return Task.CompletedTask;
            }

            waiter = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Enqueue(waiter);
        }

        if (!cancellationToken.CanBeCanceled)
        {
            return waiter.Task;
        }

        return WaitAsync(waiter, cancellationToken);
    }

    public void Release()
    {
        var room = false;
        lock (_gate)
        {
            _active--;
            room = GrantLocked() && _waiters.Count == 0;
        }

        if (room)
        {
            _onRoom();
        }
    }

    /// <summary>
    /// Ends an attempt whose answer asked to come back after <paramref name="delay"/>: its slot is given back only then, so
    /// the service is sent no more requests in that time than the limit allows.
    /// </summary>
    public void ReleaseAfter(TimeSpan delay)
    {
        lock (_gate)
        {
            if (!_ended)
            {
                var cooling = new Cooling(this);
                try
                {
                    cooling.Timer = BackgroundWork.CreateTimer(_time, static state => ((Cooling)state!).End(), cooling, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
                    _cooling.Add(cooling.Timer);
                    cooling.Timer.Change(delay, Timeout.InfiniteTimeSpan);
                    _active--;
                    return;
                }
#pragma warning disable CA1031 // The app's TimeProvider faulted (for a moment): the slot is given back at once below.
                catch (Exception)
#pragma warning restore CA1031
                {
                    // Thrown out of the attempt's end, the fault replaced the service's answer (a 429 became a fault never
                    // retried, its batch dropped after one attempt), and the slot was freed without going to a waiting retry.
                    if (cooling.Timer is { } timer)
                    {
                        _cooling.Remove(timer);
                        DisposeQuietly(timer);
                    }
                }
            }
        }

        Release();
    }

    // A timer of the app's TimeProvider whose Dispose throws must not reach an attempt's end or the shutdown.
    private static void DisposeQuietly(ITimer timer)
    {
        try
        {
            timer.Dispose();
        }
#pragma warning disable CA1031 // As above.
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }

    /// <summary>Gives back every slot taken until a Retry-After ends, and takes no more (delivery has ended).</summary>
    public void EndCooling()
    {
        List<ITimer> timers;
        lock (_gate)
        {
            _ended = true;
            timers = _cooling.ToList();
            _cooling.Clear();
            GrantLocked();
        }

        foreach (var timer in timers)
        {
            DisposeQuietly(timer);
        }
    }

    /// <summary>
    /// A request succeeded: one more slot, up to the maximum, and one slot held for a <c>Retry-After</c> is given back (the
    /// service accepts requests again, or refuses only some: the limit bounds the client then, not a slot held per refusal).
    /// </summary>
    public void OnSuccess()
    {
        ITimer? ended = null;
        lock (_gate)
        {
            if (_limit < _max)
            {
                _limit++;
            }

            foreach (var timer in _cooling)
            {
                ended = timer;
                break;
            }

            if (ended is not null)
            {
                _cooling.Remove(ended);
            }

            GrantLocked();
        }

        if (ended is not null)
        {
            DisposeQuietly(ended);
        }
    }

    /// <summary>The service asked to slow down (429 or <c>Retry-After</c>): half the slots.</summary>
    public void OnOverload()
    {
        var now = _time.GetTimestamp();
        lock (_gate)
        {
            if (_lastDecrease != long.MinValue && _time.GetElapsedTime(_lastDecrease, now) < DecreaseSpacing)
            {
                return;
            }

            _lastDecrease = now;
            _limit = Math.Max(1, _limit / 2);
        }
    }

    // Hands free slots to waiting retries; returns whether a slot is left over for a new batch.
    private bool GrantLocked()
    {
        while (_active + _cooling.Count < _limit && _waiters.Count > 0)
        {
            var waiter = _waiters.Dequeue();
            if (waiter.TrySetResult(true))
            {
                _active++;
            }
        }

        return _active + _cooling.Count < _limit;
    }

    // A Retry-After has ended: its slot goes to a waiting retry, or wakes the dispatcher for a new batch.
    private void EndCooling(ITimer timer)
    {
        var room = false;
        lock (_gate)
        {
            if (!_cooling.Remove(timer))
            {
                return;
            }

            room = GrantLocked() && _waiters.Count == 0;
        }

        DisposeQuietly(timer);
        if (room)
        {
            _onRoom();
        }
    }

    private static async Task WaitAsync(TaskCompletionSource<bool> waiter, CancellationToken cancellationToken)
    {
        using (cancellationToken.Register(static state => ((TaskCompletionSource<bool>)state!).TrySetCanceled(), waiter))
        {
            await waiter.Task.ConfigureAwait(false);
        }
    }

    private sealed class Cooling(ConcurrencyLimiter owner)
    {
        public ITimer Timer { get; set; } = null!;

        public void End() => owner.EndCooling(Timer);
    }
}
