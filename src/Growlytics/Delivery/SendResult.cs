using GrowlyticsSdk.Protocols;

namespace GrowlyticsSdk.Delivery;

/// <summary>How the attempts at one request ended, for the messages <see cref="Start"/> to <see cref="Start"/> + <see cref="Count"/> of its batch.</summary>
internal readonly struct SendResult
{
    public SendResult(int start, int count, SendOutcome outcome, DropReason reason, int status, string description, RejectionDetails? rejection = null)
    {
        Start = start;
        Count = count;
        Outcome = outcome;
        Reason = reason;
        Status = status;
        Description = description;
        Rejection = rejection;
    }

    public int Start { get; }

    public int Count { get; }

    public SendOutcome Outcome { get; }

    /// <summary>Gets why the messages were dropped (when <see cref="Outcome"/> is <see cref="SendOutcome.Dropped"/>).</summary>
    public DropReason Reason { get; }

    /// <summary>Gets the HTTP status of the last attempt, or 0 when no response arrived (network error, timeout, open circuit).</summary>
    public int Status { get; }

    /// <summary>Gets a short description for logs: a status code or an exception type, never a body.</summary>
    public string Description { get; }

    /// <summary>Gets what a refusal said that may be logged (REST 422: the field and the rule).</summary>
    public RejectionDetails? Rejection { get; }

    /// <summary>
    /// Gets a value indicating whether retries ran out on a failure of the request's own: other requests succeeded while
    /// it was tried, failures are a minority of the latest attempts, and the service never asked it to slow down (429 or
    /// <c>Retry-After</c>). Set only when <see cref="Outcome"/> is <see cref="SendOutcome.Kept"/>.
    /// </summary>
    public bool Isolated { get; init; }

    /// <summary>
    /// Gets how many requests the service had accepted when the last attempt failed (<see cref="RequestSender.Successes"/>
    /// then, not when the loop hears the result: requests accepted in between came after the refusal). Set only when
    /// <see cref="Outcome"/> is <see cref="SendOutcome.Kept"/>.
    /// </summary>
    public long SuccessesAtRefusal { get; init; }

    /// <summary>
    /// Gets, when the service did not answer the last attempt (a refused connection, a timeout, the open circuit), how many
    /// attempts it had answered then (<see cref="RequestSender.Answers"/>); -1 when it answered. Set only when
    /// <see cref="Outcome"/> is <see cref="SendOutcome.Kept"/>.
    /// </summary>
    public long UnansweredAt { get; init; } = -1;

    /// <summary>
    /// Gets a value indicating whether the open circuit refused the last attempt before it went on the wire (an outage
    /// seen by others' requests): the service was not asked, so it did not refuse these messages. Set only when
    /// <see cref="Outcome"/> is <see cref="SendOutcome.Kept"/>.
    /// </summary>
    public bool RefusedByCircuit { get; init; }
}

/// <summary>What becomes of a part of a batch.</summary>
internal enum SendOutcome
{
    Delivered,
    Dropped,

    /// <summary>Retries ran out, but the messages are stored: they wait in their partition and are tried again later.</summary>
    Kept,

    /// <summary>Shutdown ran out of time while they were on their way: counted by the shutdown (memory) or left stored.</summary>
    Abandoned,
}
