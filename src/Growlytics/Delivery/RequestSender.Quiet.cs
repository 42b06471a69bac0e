using GrowlyticsSdk.Threading;
using Polly.CircuitBreaker;

namespace GrowlyticsSdk.Delivery;

/// <summary>
/// Whether anything can still reach the service before a moment: nothing does while the circuit is open past it and no
/// attempt is past the circuit (on the wire or waiting for a connection slot). A shutdown of an app closed offline
/// then stops at once instead of waiting out its deadline for attempts that cannot be made.
/// </summary>
internal sealed partial class RequestSender
{
    // Attempts the circuit let through and not yet ended.
    private int _pastCircuit;

    // When the open circuit lets its probe through (the steady clock's timestamp); long.MinValue before it first opens.
    private long _openUntil = long.MinValue;

    // The moment a shutdown asked about and the task that completes once nothing can reach the service before it.
    private QuietWatch? _quietWatch;

    /// <summary>
    /// Returns a task that completes once no attempt can reach the service before <paramref name="deadline"/> (a
    /// timestamp of the client's <see cref="TimeProvider"/>): the circuit is open until then or later and no attempt is
    /// past it. Canceled with <paramref name="cancellationToken"/>. One at a time (the shutdown's).
    /// </summary>
    public Task WhenQuietUntilAsync(long deadline, CancellationToken cancellationToken)
    {
        var watch = new QuietWatch(deadline);
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

    private void EndPastCircuit()
    {
        if (Interlocked.Decrement(ref _pastCircuit) == 0)
        {
            CheckQuiet();
        }
    }

    // From the breaker's OnOpened: the break is measured from now on the steady clock, as the breaker measures it.
    private void CircuitOpenedFor(TimeSpan breakDuration)
    {
        Volatile.Write(ref _openUntil, _time.GetTimestamp() + (long)(breakDuration.TotalSeconds * _time.TimestampFrequency));
        CheckQuiet();
    }

    private void CheckQuiet()
    {
        if (Volatile.Read(ref _quietWatch) is { } watch
            && !watch.Done.Task.IsCompleted
            && Volatile.Read(ref _pastCircuit) == 0
            && _circuit.CircuitState == CircuitState.Open
            && Volatile.Read(ref _openUntil) >= watch.Deadline)
        {
            watch.Done.TrySetResult(true);
        }
    }

    private sealed class QuietWatch(long deadline)
    {
        public long Deadline { get; } = deadline;

        public TaskCompletionSource<bool> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
