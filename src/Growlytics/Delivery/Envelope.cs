using System.Diagnostics;
using GrowlyticsSdk.Messages;

namespace GrowlyticsSdk.Delivery;

/// <summary>
/// One message on its way through the engine: where it came from (memory or disk), its partition, its place in read
/// order (for flushes), and its wire form once written. Settled exactly once: delivered or dropped, whoever comes first.
/// </summary>
internal sealed class Envelope
{
    // Idle → Sending (in a request) → Idle again, or Settled. Storage may drop the record of a message in a request:
    // the drop then waits for the answer (DroppedWhileSending), so a message the service accepted is never counted
    // dropped, and one it did not accept is counted dropped once the request ends.
    private const int Idle = 0;
    private const int Sending = 1;
    private const int DroppedWhileSending = 2;
    private const int Settled = 3;
    private const int SettledAfterDroppedWhileSending = 4;
    private int _state;
    private DropReason _droppedWhileSendingReason;

    // A memory message's envelope is only ever touched by the dispatcher's loop (its completions settle there too), and by
    // shutdown once the loop has ended: its state moves without interlocked instructions, which on the loop's path cost a
    // wait for every store before them (the message's JSON just written) to reach the cache. A stored record's envelope
    // may be dropped by storage's thread at any time: its state moves by compare-and-swap only.
    private readonly bool _storageMayDrop;

    public Envelope(UserMessage message, IMessageSource source, object? handle, int estimatedBytes)
    {
        Message = message;
        Source = source;
        Handle = handle;
        EstimatedBytes = estimatedBytes;
        _storageMayDrop = handle is not null;
    }

    public UserMessage Message { get; private set; }

    /// <summary>Gets the source that is told when the message is settled.</summary>
    public IMessageSource Source { get; }

    /// <summary>Gets what the source needs to settle it (a stored record), or <see langword="null"/>.</summary>
    public object? Handle { get; }

    /// <summary>Gets the estimated memory the message holds (see <see cref="MessageSize"/>).</summary>
    public int EstimatedBytes { get; private set; }

    /// <summary>Gets or sets the message's (estimated, then exact) JSON size, for filling requests by bytes.</summary>
    public int JsonBytes { get; set; }

    /// <summary>Gets or sets the partition the dispatcher placed it in.</summary>
    public int Partition { get; set; }

    /// <summary>Gets or sets its position in the dispatcher's read order.</summary>
    public long Ticket { get; set; }

    /// <summary>
    /// Gets or sets how many requests the service had accepted when the message was first kept (out of retries, to be
    /// tried again later: the count when its last attempt failed, see <see cref="SendResult.SuccessesAtRefusal"/>), or -1
    /// if it never was.
    /// </summary>
    public long KeptAtSuccesses { get; set; } = -1;

    /// <summary>
    /// Gets or sets the message as written by the protocol, empty until it is written. While it is in a request this is
    /// a view of the request's buffer; a message that outlives its request gets a copy of its own, so a later request
    /// sends identical bytes.
    /// </summary>
    public ReadOnlyMemory<byte> Payload { get; set; }

    /// <summary>
    /// Makes a delivered memory envelope (nothing refers to it any more) carry <paramref name="message"/>, as new. Only for
    /// envelopes without a <see cref="Handle"/>: see <see cref="MemorySource.Reuse"/>.
    /// </summary>
    public void Reuse(UserMessage message, int estimatedBytes)
    {
        Message = message;
        EstimatedBytes = estimatedBytes;
        JsonBytes = 0;
        Partition = 0;
        Ticket = 0;
        KeptAtSuccesses = -1;
        Payload = default;
        _droppedWhileSendingReason = default;
        Volatile.Write(ref _state, Idle);
    }

    /// <summary>
    /// Lets go of the message and its bytes while the envelope waits to be reused (<see cref="Reuse"/> gives it a new
    /// one): anything that still used it by mistake would fail instead of sending a delivered message again.
    /// </summary>
    public void Forget()
    {
        Message = null!;
        Payload = default;
    }

    public bool IsSettled => Volatile.Read(ref _state) >= Settled;

    /// <summary>Gets a value indicating whether storage dropped its record while it was in a request (now settled).</summary>
    public bool WasDroppedWhileSending => Volatile.Read(ref _state) == SettledAfterDroppedWhileSending;

    /// <summary>Marks the message settled; <see langword="true"/> only for the one caller that settled it.</summary>
    public bool TrySettle()
    {
        while (true)
        {
            var state = Volatile.Read(ref _state);
            if (state >= Settled)
            {
                return false;
            }

            // A memory message's envelope moves at the first try (see TryMove); a stored one's tries again if storage
            // moved it meanwhile.
            if (TryMove(state, state == DroppedWhileSending ? SettledAfterDroppedWhileSending : Settled))
            {
                return true;
            }
        }
    }

    /// <summary>Marks the message settled if it is in no request; <see langword="true"/> only for the one caller that settled it.</summary>
    public bool TrySettleIfIdle() => TryMove(Idle, Settled);

    /// <summary>Marks the message as in a request; <see langword="false"/> when it was settled meanwhile.</summary>
    public bool TryStartSending() => TryMove(Idle, Sending);

    /// <summary>
    /// Its request ended without settling it. Returns the reason storage dropped it meanwhile (the caller settles it as
    /// dropped), or <see langword="null"/>: it is idle again (kept, or abandoned) or already settled.
    /// </summary>
    public DropReason? EndSending()
    {
        if (TryMove(Sending, Idle))
        {
            return null;
        }

        return Volatile.Read(ref _state) == DroppedWhileSending ? _droppedWhileSendingReason : null;
    }

    private bool TryMove(int from, int to)
    {
        if (_storageMayDrop)
        {
            return Interlocked.CompareExchange(ref _state, to, from) == from;
        }

        if (_state != from)
        {
            return false;
        }

        _state = to;
        return true;
    }

    /// <summary>
    /// Storage dropped the message's record. Returns <see langword="true"/> when this settled it (the caller counts it
    /// dropped); <see langword="false"/> when it is in a request (<paramref name="waits"/>: the drop waits for the
    /// answer, see <see cref="EndSending"/>) or was already settled.
    /// </summary>
    public bool DropUnlessSending(DropReason reason, out bool waits)
    {
        // Storage drops only its own records, from its own thread: a memory message's envelope moves without
        // compare-and-swap, so a drop from another thread must never reach one.
        Debug.Assert(_storageMayDrop, "Only a stored record's envelope is dropped by storage.");
        waits = false;
        _droppedWhileSendingReason = reason;
        while (true)
        {
            switch (Volatile.Read(ref _state))
            {
                case Idle when Interlocked.CompareExchange(ref _state, Settled, Idle) == Idle:
                    return true;
                case Sending when Interlocked.CompareExchange(ref _state, DroppedWhileSending, Sending) == Sending:
                    waits = true;
                    return false;
                case Idle or Sending:
                    continue;
                default:
                    return false;
            }
        }
    }
}
