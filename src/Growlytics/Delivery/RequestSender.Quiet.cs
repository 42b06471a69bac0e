using GrowlyticsSdk.Threading;
using Polly.CircuitBreaker;

namespace GrowlyticsSdk.Delivery;

/// <summary>
/// Whether anything can still reach the service before a moment: nothing does while the circuit is open past it and no
/// attempt is past the circuit (on the wire or waiting for a connection slot). A shutdown of an app closed offline
/// then stops at once instead of waiting out its deadline for attempts that cannot be made. When what is left is kept
/// in the storage folder, nothing worth waiting for is left either once every batch waits for a retry that is due past
/// the moment, or that follows attempts the service did not answer (a refused connection, a timeout) with no answer
/// since: such a retry can only find it still unreachable, and the messages are sent at the next start.
/// </summary>
internal sealed partial class RequestSender
{
    // Attempts the circuit let through and not yet ended.
    private int _pastCircuit;

    // When the open circuit lets its probe through (the steady clock's timestamp); long.MinValue before it first opens.
    private long _openUntil = long.MinValue;

    // The moment a shutdown asked about and the task that completes once nothing can reach the service before it.
    private QuietWatch? _quietWatch;

    // Batches in SendAsync, and those handed to the thread pool that have not entered it yet (see BatchQueued).
    private int _batches;
    private int _queuedBatches;

    // The batches waiting for a retry (their backoff, or the open circuit), under their own lock.
    private readonly HashSet<AttemptState> _waiting = [];

    // Whether the latest attempt on the wire to end had no answer from the service (a transport failure or a timeout).
    private volatile bool _lastUnanswered;

    // The attempts the service answered (any status), ever: unchanged since a batch's attempt got no answer, none came since.
    private long _answers;

    /// <summary>
    /// Returns a task that completes once no attempt can reach the service before <paramref name="deadline"/>: the circuit
    /// is open until then or later and no attempt is past it (or, <paramref name="keptAnyway"/>, no attempt worth waiting
    /// for is left: see the class). Canceled with <paramref name="cancellationToken"/>. One at a time (the shutdown's).
    /// </summary>
    /// <param name="deadline">The moment, a timestamp of the client's <see cref="TimeProvider"/>.</param>
    /// <param name="keptAnyway">
    /// Whether what an abandoned batch holds stays stored for the next start (every unsettled message is in the folder):
    /// retries due past <paramref name="deadline"/>, or after attempts the service did not answer, are then not waited for.
    /// </param>
    /// <param name="waitsForPause">
    /// Whether the dispatcher waits for messages kept after their retries, paused until before the deadline: while it does,
    /// retries not worth waiting for do not make the client quiet (see <see cref="CheckQuietAgain"/>).
    /// </param>
    /// <param name="cancellationToken">Cancels the task.</param>
    public Task WhenQuietUntilAsync(long deadline, bool keptAnyway, Func<bool> waitsForPause, CancellationToken cancellationToken)
    {
        var watch = new QuietWatch(deadline, keptAnyway, waitsForPause);
        Volatile.Write(ref _quietWatch, watch);
        CheckQuiet();
        if (!watch.Done.Task.IsCompleted && cancellationToken.CanBeCanceled)
        {
            var registration = cancellationToken.Register(static state => ((TaskCompletionSource<bool>)state!).TrySetCanceled(), watch.Done);
            _ = watch.Done.Task.Then(static (_, state) => ((CancellationTokenRegistration)state!).Dispose(), registration);
        }

        return watch.Done.Task;
    }

    // One attempt through the circuit breaker, counted past it from before the breaker decides (an attempt it lets through
    // as it opens is counted when OnOpened looks) until it ends; a 2xx answer until AttemptAsync has read it (a REST body
    // read under the request's token: a shutdown stopping then would abandon a request the service took).
    private async Task<HttpResponseMessage> ExecutePastCircuitAsync(Polly.ResilienceContext context, AttemptState state)
    {
        Interlocked.Increment(ref _pastCircuit);
        try
        {
            var response = await _breaker.ExecuteAsync(
                static (context, state) => new ValueTask<HttpResponseMessage>(state.Sender.PostOnceAsync(state, context.CancellationToken)),
                context,
                state).ConfigureAwait(false);
            state.AnswerInHand = response.IsSuccessStatusCode;
            return response;
        }
        finally
        {
            if (!state.AnswerInHand)
            {
                EndPastCircuit();
            }
        }
    }

    // From AttemptAsync once it has read a 2xx answer (or given up on it).
    private void EndAnswerInHand(AttemptState state)
    {
        if (state.AnswerInHand)
        {
            state.AnswerInHand = false;
            EndPastCircuit();
        }
    }

    /// <summary>Gets a value indicating whether the circuit breaker is open now (for tests).</summary>
    internal bool CircuitIsOpen => _circuit.CircuitState == CircuitState.Open;

    /// <summary>Gets how much longer the open circuit's break lasts (zero when it is not open; for tests).</summary>
    internal TimeSpan CircuitOpenFor
    {
        get
        {
            if (!CircuitIsOpen)
            {
                return TimeSpan.Zero;
            }

            // Compared, not subtracted first: the end before any break is long.MinValue.
            var now = _time.GetTimestamp();
            var until = Volatile.Read(ref _openUntil);
            return until > now ? _time.GetElapsedTime(now, until) : TimeSpan.Zero;
        }
    }

    /// <summary>Gets how many attempts are past the circuit breaker now (on the wire or about to be), for tests.</summary>
    internal int AttemptsPastCircuit => Volatile.Read(ref _pastCircuit);

    private void EndPastCircuit()
    {
        if (Interlocked.Decrement(ref _pastCircuit) == 0)
        {
            CheckQuiet();
        }
    }

    // From the breaker's break duration generator, which Polly calls under its lock as the circuit opens, before the
    // circuit says Open: whoever sees it open sees this break's end. The break is measured from now on the steady clock, as
    // the breaker measures it. (Recorded in OnOpened, which Polly runs later on a worker of its own, a reader in between
    // found the end of the break before, or none: long.MinValue, which CircuitOpenFor turned into ~27,000 years, and a
    // test took a circuit just opened for a 1 s break for one opened for 5 minutes.)
    private TimeSpan BreakBegins(TimeSpan breakDuration)
    {
        var ticks = breakDuration.TotalSeconds * _time.TimestampFrequency;
        var now = _time.GetTimestamp();
        Volatile.Write(ref _openUntil, ticks < long.MaxValue - now ? now + (long)ticks : long.MaxValue);
        return breakDuration;
    }

    /// <summary>
    /// Counts a batch the dispatcher handed to the thread pool to send, until <see cref="BatchDequeued"/> (called once
    /// <see cref="SendAsync"/> has taken it): a shutdown does not take the client for quiet with a batch about to go.
    /// </summary>
    public void BatchQueued() => Interlocked.Increment(ref _queuedBatches);

    /// <summary>Ends what <see cref="BatchQueued"/> counted.</summary>
    public void BatchDequeued()
    {
        if (Interlocked.Decrement(ref _queuedBatches) == 0)
        {
            CheckQuiet();
        }
    }

    private void BatchEntered() => Interlocked.Increment(ref _batches);

    private void BatchLeft()
    {
        Interlocked.Decrement(ref _batches);
        CheckQuiet();
    }

    // From the retry's OnRetry: the batch waits until dueAt; unanswered when its latest attempt on the wire had no answer
    // (or, refused by the open circuit before any went, when the client's latest had none).
    private void WaitsForRetry(AttemptState state, TimeSpan delay, Exception? failure)
    {
        var now = _time.GetTimestamp();
        var ticks = delay.TotalSeconds * _time.TimestampFrequency;
        state.RetryDueAt = ticks < long.MaxValue - now ? now + (long)ticks : long.MaxValue;
        if (failure is not BrokenCircuitException)
        {
            state.Unanswered = failure is not null;
        }
        else if (state.WireAttempts == 0)
        {
            state.Unanswered = true;
        }

        lock (_waiting)
        {
            state.Waiting = true;
            _waiting.Add(state);
        }

        CheckQuiet();
    }

    // The retry's wait has ended (its attempt begins, or the batch ends). Only the batch's own flow sets and clears its
    // flag, so an attempt that never waited takes no lock.
    private void WaitEnded(AttemptState state)
    {
        if (!state.Waiting)
        {
            return;
        }

        lock (_waiting)
        {
            state.Waiting = false;
            _waiting.Remove(state);
        }
    }

    private void CheckQuiet()
    {
        if (Volatile.Read(ref _quietWatch) is { } watch
            && !watch.Done.Task.IsCompleted
            && Volatile.Read(ref _pastCircuit) == 0
            && ((_circuit.CircuitState == CircuitState.Open && Volatile.Read(ref _openUntil) >= watch.Deadline)
                || (watch.KeptAnyway && !watch.WaitsForPause() && OnlyRetriesNotWorthWaitingFor(watch.Deadline))))
        {
            watch.Done.TrySetResult(true);
        }
    }

    // Every batch the client holds waits for a retry due past the deadline, or one that follows attempts the service did
    // not answer while no attempt has been answered since (another batch's included); none is on the wire or about to go.
    private bool OnlyRetriesNotWorthWaitingFor(long deadline)
    {
        lock (_waiting)
        {
            if (_waiting.Count == 0
                || _waiting.Count != Volatile.Read(ref _batches)
                || Volatile.Read(ref _queuedBatches) != 0
                || Volatile.Read(ref _pastCircuit) != 0)
            {
                return false;
            }

            var lastUnanswered = _lastUnanswered;
            var answers = Interlocked.Read(ref _answers);
            foreach (var state in _waiting)
            {
                // No answer since the batch's own latest attempt; for one the open circuit refused before any went, the
                // client's latest attempt had none.
                var noAnswerSince = state.WireAttempts == 0 ? lastUnanswered : answers == state.AnswersAtFailure;
                if (state.RetryDueAt < deadline && !(state.Unanswered && noAnswerSince))
                {
                    return false;
                }
            }

            return true;
        }
    }

    /// <summary>Looks again whether the client is quiet (the dispatcher no longer waits for a pause).</summary>
    public void CheckQuietAgain() => CheckQuiet();

    private sealed class QuietWatch(long deadline, bool keptAnyway, Func<bool> waitsForPause)
    {
        public long Deadline { get; } = deadline;

        public bool KeptAnyway { get; } = keptAnyway;

        public Func<bool> WaitsForPause { get; } = waitsForPause;

        public TaskCompletionSource<bool> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
