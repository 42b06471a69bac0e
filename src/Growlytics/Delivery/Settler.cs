using GrowlyticsSdk.Diagnostics;
using GrowlyticsSdk.Protocols;

namespace GrowlyticsSdk.Delivery;

/// <summary>
/// The one place a message is settled: counted delivered or dropped (by its number of calls) exactly once, whoever
/// comes first (a response, or storage dropping it to keep its bound), its source told, and a drop queued for the
/// application's <see cref="GrowlyticsClient.MessageDropped"/> handlers (<see cref="SettledDropReports"/>).
/// </summary>
internal sealed class Settler
{
    private readonly DeliveryCounters _counters;
    private readonly SettledDropReports? _reports;

    public Settler(DeliveryCounters counters, SettledDropReports? reports)
    {
        _counters = counters;
        _reports = reports;
    }

    /// <summary>Gets the reports of the drops this settler counts, or <see langword="null"/> when none are made.</summary>
    public SettledDropReports? Reports => _reports;

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

    /// <summary>
    /// Marks a delivered message settled and adds it to <paramref name="tally"/>, to be counted with the rest of its request
    /// by <see cref="Delivered(MemorySource, in DeliveredTally)"/>; <see langword="false"/> when it was settled before. For
    /// messages from memory: counting each one alone costs two interlocked adds on counters every call writes too.
    /// </summary>
    public static bool DeliveredLater(Envelope envelope, ref DeliveredTally tally)
    {
        if (!envelope.TrySettle())
        {
            return false;
        }

        tally.Add(envelope);
        return true;
    }

    /// <summary>
    /// Counts the messages of <paramref name="tally"/> delivered and tells <paramref name="memory"/>: both figures move in two
    /// adjacent steps, as for one message, so a statistics snapshot balances.
    /// </summary>
    public void Delivered(MemorySource memory, in DeliveredTally tally)
    {
        if (tally.Messages == 0)
        {
            return;
        }

        _counters.AddDelivered(tally.Calls);
        memory.Settled(tally);
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
        envelope.Source.Dropped(envelope, reason);

        // Reported off this thread (the delivery loop's, storage's or the shutdown's): see SettledDropReports.
        _reports?.Add(envelope, reason, status, rejection);
    }
}

/// <summary>Memory messages a request delivered, settled one by one and counted together (see <see cref="Settler.DeliveredLater"/>).</summary>
internal struct DeliveredTally
{
    /// <summary>Gets the number of messages.</summary>
    public long Messages { get; private set; }

    /// <summary>Gets the calls they settle (<see cref="Messages.UserMessage.Calls"/>), summed.</summary>
    public long Calls { get; private set; }

    /// <summary>Gets their estimated memory (<see cref="Envelope.EstimatedBytes"/>), summed.</summary>
    public long EstimatedBytes { get; private set; }

    public void Add(Envelope envelope)
    {
        Messages++;
        Calls += envelope.Message.Calls;
        EstimatedBytes += envelope.EstimatedBytes;
    }
}
