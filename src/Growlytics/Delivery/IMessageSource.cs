namespace GrowlyticsSdk.Delivery;

/// <summary>
/// Where the dispatcher reads messages from: the memory queue, or the storage folder when it is the buffer. The
/// dispatcher never knows which; a source only hands out messages in its order and hears when each is settled.
/// </summary>
internal interface IMessageSource
{
    /// <summary>Gets the messages this source holds that are not settled yet (read or not).</summary>
    long Pending { get; }

    /// <summary>
    /// Gets the calls of messages counted delivered or dropped whose source has not finished settling them yet (the
    /// store may wait for its writer): part of <see cref="Pending"/> still, but no longer in the figures an application reads.
    /// </summary>
    long Settling { get; }

    /// <summary>
    /// Gets the messages this source holds that the dispatcher has not read yet, or may still read (each becomes one
    /// envelope): what a flush counts beyond the envelopes already read. It may count a message twice, never miss one.
    /// </summary>
    long FlushCount { get; }

    /// <summary>
    /// Gets a value indicating whether the source hands out nothing more until its oldest messages read are settled (the
    /// stored queue's read window is full): one that is kept waiting then holds every user back.
    /// </summary>
    bool WaitsForOldest { get; }

    /// <summary>Moves up to <paramref name="maxCount"/> messages, in the source's order, into <paramref name="into"/>; returns how many.</summary>
    int Read(List<Envelope> into, int maxCount);

    /// <summary>Called once per message after it was delivered (and counted).</summary>
    void Settled(Envelope envelope);

    /// <summary>Called instead of <see cref="Settled"/> once per message after it was dropped (and counted) for <paramref name="reason"/>.</summary>
    void Dropped(Envelope envelope, DropReason reason);
}
