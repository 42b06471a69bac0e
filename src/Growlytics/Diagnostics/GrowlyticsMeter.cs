using System.Diagnostics.Metrics;
using System.Globalization;
using GrowlyticsSdk.Serialization;

namespace GrowlyticsSdk.Diagnostics;

/// <summary>The client's figures as a <see cref="Meter"/> named <c>Growlytics</c>, observed from the live counters.</summary>
/// <remarks>
/// Every measurement carries <see cref="ClientTag"/>, a number for the client unique in the process: clients side by side
/// (two hosts, a host and the facade's client) each have a meter named <c>Growlytics</c>, and an exporter keeps one series
/// per instrument name and tag set, so without it their figures would overwrite each other.
/// </remarks>
internal sealed class GrowlyticsMeter : IDisposable
{
    public const string MeterName = "Growlytics";

    /// <summary>The tag that tells the clients of one process apart: 1 for the first one made, 2 for the next, and so on.</summary>
    public const string ClientTag = "growlytics.client.id";

    private static int s_lastClient;
    private readonly Meter _meter;
    private readonly bool _owned;
    private readonly KeyValuePair<string, object?> _client;
    private readonly KeyValuePair<string, object?>[][] _droppedTags;

    // What the instruments read, until the client has shut down. A host's meter is the factory's: it is not ended here, and
    // a meter cannot remove an instrument, so the instruments and their callbacks live as long as the host (and a client
    // made later in it is given the same meter): once this is cleared they report nothing, and hold nothing of the client.
    private volatile Figures? _figures;

    public GrowlyticsMeter(DeliveryCounters counters, Func<long> pending, Func<long> queuedBytes, IMeterFactory? factory)
    {
        _client = new KeyValuePair<string, object?>(ClientTag, Interlocked.Increment(ref s_lastClient).ToString(CultureInfo.InvariantCulture));
        _droppedTags = DeliveryCounters.AllReasons
            .Select(reason => new[] { new KeyValuePair<string, object?>("reason", reason.ToString()), _client })
            .ToArray();
        _figures = new Figures(counters, pending, queuedBytes);

        // A meter from the host's factory is owned (and disposed) by the factory.
        _owned = factory is null;
        _meter = factory?.Create(new MeterOptions(MeterName) { Version = SdkInfo.Version }) ?? new Meter(MeterName, SdkInfo.Version);
        _meter.CreateObservableCounter("growlytics.messages.enqueued", () => Observe(static f => f.Counters.Enqueued), "{message}", "Messages accepted from calls, and those restored from storage at start (GrowlyticsStatistics.Enqueued).");
        _meter.CreateObservableCounter("growlytics.messages.delivered", () => Observe(static f => f.Counters.Delivered), "{message}", "Messages the service accepted.");
        _meter.CreateObservableCounter("growlytics.messages.dropped", ObserveDropped, "{message}", "Messages dropped, tagged by reason.");
        _meter.CreateObservableCounter("growlytics.requests.retried", () => Observe(static f => f.Counters.Retried), "{request}", "Failed HTTP attempts followed by a retry on the wire.");
        _meter.CreateObservableCounter("growlytics.batches.sent", () => Observe(static f => f.Counters.BatchesSent), "{batch}", "Requests the service accepted: batches, or with REST one customer upsert each.");
        _meter.CreateObservableCounter("growlytics.messages.restored", () => Observe(static f => f.Counters.Restored), "{message}", "Messages found in storage at start, left by an earlier run.");
        _meter.CreateObservableCounter("growlytics.calls.invalid", () => Observe(static f => f.Counters.InvalidInputs), "{call}", "Invalid calls dropped (InvalidInputHandling.Drop).");
        _meter.CreateObservableCounter("growlytics.storage.corrupt_records", () => Observe(static f => f.Counters.CorruptRecords), "{record}", "Damaged places skipped in storage files.");
        _meter.CreateObservableUpDownCounter("growlytics.messages.pending", () => Observe(static f => f.Pending()), "{message}", "Messages queued, in flight, kept in storage, or (REST) anonymous pushes held for a login (GrowlyticsStatistics.Pending).");
        _meter.CreateObservableUpDownCounter("growlytics.queue.bytes", () => Observe(static f => f.QueuedBytes()), "By", "Estimated memory counted toward MaxQueueBytes: queued messages and the bodies of requests on their way.");
    }

    /// <summary>Ends the client's figures: its instruments report nothing from now on, and its own meter (none of a host's) ends.</summary>
    public void Dispose()
    {
        _figures = null;
        if (_owned)
        {
            _meter.Dispose();
        }
    }

    private Measurement<long>[] Observe(Func<Figures, long> read) =>
        _figures is { } figures ? [new Measurement<long>(read(figures), _client)] : [];

    private IEnumerable<Measurement<long>> ObserveDropped()
    {
        if (_figures is not { } figures)
        {
            yield break;
        }

        var reasons = DeliveryCounters.AllReasons;
        for (var i = 0; i < reasons.Count; i++)
        {
            yield return new Measurement<long>(figures.Counters.GetDropped(reasons[i]), _droppedTags[i]);
        }
    }

    private sealed class Figures(DeliveryCounters counters, Func<long> pending, Func<long> queuedBytes)
    {
        public DeliveryCounters Counters { get; } = counters;

        public Func<long> Pending { get; } = pending;

        public Func<long> QueuedBytes { get; } = queuedBytes;
    }
}
