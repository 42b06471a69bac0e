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

    public GrowlyticsMeter(DeliveryCounters counters, Func<long> pending, Func<long> queuedBytes, IMeterFactory? factory)
    {
        _client = new KeyValuePair<string, object?>(ClientTag, Interlocked.Increment(ref s_lastClient).ToString(CultureInfo.InvariantCulture));
        _droppedTags = DeliveryCounters.AllReasons
            .Select(reason => new[] { new KeyValuePair<string, object?>("reason", reason.ToString()), _client })
            .ToArray();

        // A meter from the host's factory is owned (and disposed) by the factory.
        _owned = factory is null;
        _meter = factory?.Create(new MeterOptions(MeterName) { Version = SdkInfo.Version }) ?? new Meter(MeterName, SdkInfo.Version);
        _meter.CreateObservableCounter("growlytics.messages.enqueued", () => Tagged(counters.Enqueued), "{message}", "Messages accepted from calls, and those restored from storage at start (GrowlyticsStatistics.Enqueued).");
        _meter.CreateObservableCounter("growlytics.messages.delivered", () => Tagged(counters.Delivered), "{message}", "Messages the service accepted.");
        _meter.CreateObservableCounter("growlytics.messages.dropped", () => ObserveDropped(counters), "{message}", "Messages dropped, tagged by reason.");
        _meter.CreateObservableCounter("growlytics.requests.retried", () => Tagged(counters.Retried), "{request}", "Failed HTTP attempts followed by a retry on the wire.");
        _meter.CreateObservableCounter("growlytics.batches.sent", () => Tagged(counters.BatchesSent), "{batch}", "Requests the service accepted: batches, or with REST one customer upsert each.");
        _meter.CreateObservableCounter("growlytics.messages.restored", () => Tagged(counters.Restored), "{message}", "Messages found in storage at start, left by an earlier run.");
        _meter.CreateObservableCounter("growlytics.calls.invalid", () => Tagged(counters.InvalidInputs), "{call}", "Invalid calls dropped (InvalidInputHandling.Drop).");
        _meter.CreateObservableCounter("growlytics.storage.corrupt_records", () => Tagged(counters.CorruptRecords), "{record}", "Damaged places skipped in storage files.");
        _meter.CreateObservableUpDownCounter("growlytics.messages.pending", () => Tagged(pending()), "{message}", "Messages queued, in flight, kept in storage, or (REST) anonymous pushes held for a login (GrowlyticsStatistics.Pending).");
        _meter.CreateObservableUpDownCounter("growlytics.queue.bytes", () => Tagged(queuedBytes()), "By", "Estimated memory counted toward MaxQueueBytes: queued messages and the bodies of requests on their way.");
    }

    public void Dispose()
    {
        if (_owned)
        {
            _meter.Dispose();
        }
    }

    private Measurement<long> Tagged(long value) => new(value, _client);

    private IEnumerable<Measurement<long>> ObserveDropped(DeliveryCounters counters)
    {
        var reasons = DeliveryCounters.AllReasons;
        for (var i = 0; i < reasons.Count; i++)
        {
            yield return new Measurement<long>(counters.GetDropped(reasons[i]), _droppedTags[i]);
        }
    }
}
