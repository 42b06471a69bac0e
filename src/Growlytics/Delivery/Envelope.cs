using GrowlyticsSdk.Messages;

namespace GrowlyticsSdk.Delivery;

/// <summary>
/// One message on its way through the engine: where it came from (memory or disk), its partition, its place in read
/// order (for flushes), and its wire form once written. Settled exactly once: delivered or dropped, whoever comes first.
/// </summary>
internal sealed class Envelope
{
    private int _settled;

    public Envelope(UserMessage message, IMessageSource source, object? handle, int estimatedBytes)
    {
        Message = message;
        Source = source;
        Handle = handle;
        EstimatedBytes = estimatedBytes;
    }

    public UserMessage Message { get; }

    /// <summary>Gets the source that is told when the message is settled.</summary>
    public IMessageSource Source { get; }

    /// <summary>Gets what the source needs to settle it (a stored record), or <see langword="null"/>.</summary>
    public object? Handle { get; }

    /// <summary>Gets the estimated memory the message holds (see <see cref="MessageSize"/>).</summary>
    public int EstimatedBytes { get; }

    /// <summary>Gets or sets the message's (estimated, then exact) JSON size, for filling requests by bytes.</summary>
    public int JsonBytes { get; set; }

    /// <summary>Gets or sets the partition the dispatcher placed it in.</summary>
    public int Partition { get; set; }

    /// <summary>Gets or sets its position in the dispatcher's read order.</summary>
    public long Ticket { get; set; }

    /// <summary>Gets or sets the message as written by the protocol (kept so a retry sends identical bytes).</summary>
    public byte[]? Payload { get; set; }

    public bool IsSettled => Volatile.Read(ref _settled) != 0;

    /// <summary>Marks the message settled; <see langword="true"/> only for the one caller that settled it.</summary>
    public bool TrySettle() => Interlocked.Exchange(ref _settled, 1) == 0;
}
