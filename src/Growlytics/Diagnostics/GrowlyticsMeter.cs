using System.Diagnostics.Metrics;
using GrowlyticsSdk.Serialization;

namespace GrowlyticsSdk.Diagnostics;

/// <summary>The client's figures as a <see cref="Meter"/> named <c>Growlytics</c>, observed from the live counters.</summary>
internal sealed class GrowlyticsMeter : IDisposable
{
    public const string MeterName = "Growlytics";
    private readonly Meter _meter;
    private readonly bool _owned;

    public GrowlyticsMeter(DeliveryCounters counters, Func<long> pending, Func<long> queuedBytes, IMeterFactory? factory)
    {
        // A meter from the host's factory is owned (and disposed) by the factory.
        _owned = factory is null;
        _meter = factory?.Create(new MeterOptions(MeterName) { Version = SdkInfo.Version }) ?? new Meter(MeterName, SdkInfo.Version);
        _meter.CreateObservableCounter("growlytics.messages.enqueued", () => counters.Enqueued, "{message}", "Messages accepted from calls.");
        _meter.CreateObservableCounter("growlytics.messages.delivered", () => counters.Delivered, "{message}", "Messages the service accepted.");
        _meter.CreateObservableCounter("growlytics.messages.dropped", () => ObserveDropped(counters), "{message}", "Messages dropped, tagged by reason.");
        _meter.CreateObservableCounter("growlytics.requests.retried", () => counters.Retried, "{request}", "Failed HTTP attempts followed by a retry on the wire.");
        _meter.CreateObservableCounter("growlytics.batches.sent", () => counters.BatchesSent, "{batch}", "Batches the service accepted.");
        _meter.CreateObservableCounter("growlytics.messages.restored", () => counters.Restored, "{message}", "Messages found in storage at start, left by an earlier run.");
        _meter.CreateObservableCounter("growlytics.calls.invalid", () => counters.InvalidInputs, "{call}", "Invalid calls dropped (InvalidInputHandling.Drop).");
        _meter.CreateObservableCounter("growlytics.storage.corrupt_records", () => counters.CorruptRecords, "{record}", "Damaged places skipped in storage files.");
        _meter.CreateObservableUpDownCounter("growlytics.messages.pending", pending, "{message}", "Messages queued or in flight.");
        _meter.CreateObservableUpDownCounter("growlytics.queue.bytes", queuedBytes, "By", "Estimated memory counted toward MaxQueueBytes: queued messages and the bodies of requests on their way.");
    }

    public void Dispose()
    {
        if (_owned)
        {
            _meter.Dispose();
        }
    }

    private static IEnumerable<Measurement<long>> ObserveDropped(DeliveryCounters counters)
    {
        foreach (var reason in DeliveryCounters.AllReasons)
        {
            yield return new Measurement<long>(counters.GetDropped(reason), new KeyValuePair<string, object?>("reason", reason.ToString()));
        }
    }
}
