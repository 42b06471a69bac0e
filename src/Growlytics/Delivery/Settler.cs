using GrowlyticsSdk.Diagnostics;
using GrowlyticsSdk.Protocols;

namespace GrowlyticsSdk.Delivery;

/// <summary>
/// The one place a message is settled: counted delivered or dropped (by its number of calls) exactly once, whoever
/// comes first (a response, or storage dropping it to keep its bound), its source told, and a drop reported to the
/// application's <see cref="GrowlyticsClient.MessageDropped"/> handlers.
/// </summary>
internal sealed class Settler
{
    private readonly DeliveryCounters _counters;
    private readonly Action<MessageDroppedEventArgs>? _dropped;

    public Settler(DeliveryCounters counters, Action<MessageDroppedEventArgs>? dropped)
    {
        _counters = counters;
        _dropped = dropped;
    }

    /// <summary>Counts the message delivered; <see langword="false"/> when it was settled before.</summary>
    public bool Delivered(Envelope envelope)
    {
        if (!envelope.TrySettle())
        {
            return false;
        }

        _counters.AddDelivered(envelope.Message.Calls);
        envelope.Source.Settled(envelope);
        return true;
    }

    public void Dropped(Envelope envelope, DropReason reason, int status = 0, RejectionDetails? rejection = null)
    {
        if (envelope.TrySettle())
        {
            CountDropped(envelope, reason, status, rejection);
        }
    }

    /// <summary>Counts and reports a message that its caller already settled (<see cref="Envelope.DropUnlessSending"/>).</summary>
    public void CountDropped(Envelope envelope, DropReason reason, int status = 0, RejectionDetails? rejection = null)
    {
        _counters.AddDropped(reason, envelope.Message.Calls);
        envelope.Source.Settled(envelope);
        _dropped?.Invoke(new MessageDroppedEventArgs(
            reason,
            envelope.Message.Calls,
            envelope.Message.UserId,
            status == 0 ? null : status,
            rejection?.Path,
            rejection?.Type));
    }
}
