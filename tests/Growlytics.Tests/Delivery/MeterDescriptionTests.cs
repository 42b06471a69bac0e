using System.Diagnostics.Metrics;
using GrowlyticsSdk.Tests.TestSupport;

namespace GrowlyticsSdk.Tests.Delivery;

/// <summary>
/// The <c>Growlytics</c> meter's instruments describe what they measure (what <c>dotnet-counters</c> and exporters show a
/// user): the figures of <see cref="GrowlyticsStatistics"/>, whose pending count includes the pushes held for a login
/// (REST) and what storage keeps, and whose accepted count includes what a previous run left in storage.
/// </summary>
public sealed class MeterDescriptionTests
{
    [Fact]
    public async Task PendingAndEnqueued_DescribeWhatTheyCount()
    {
        var factory = new DeliveryMeterFactory();
        await using var h = new DeliveryHarness(o =>
        {
            o.Protocol = GrowlyticsProtocol.Rest;
            o.MeterFactory = factory;
        });
        h.PushMany(3);

        var (pending, pendingDescription) = Observe(factory.Created!, "growlytics.messages.pending");
        var (_, enqueuedDescription) = Observe(factory.Created!, "growlytics.messages.enqueued");
        var (_, sentDescription) = Observe(factory.Created!, "growlytics.batches.sent");

        pending.Should().Be(3, "three anonymous pushes wait for a login: neither queued nor in flight");
        pendingDescription.Should().Contain("held for a login").And.Contain("storage");
        enqueuedDescription.Should().Contain("restored from storage");
        sentDescription.Should().Contain("REST");
    }

    private static (long Value, string? Description) Observe(Meter meter, string name)
    {
        long value = 0;
        string? description = null;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (ReferenceEquals(instrument.Meter, meter) && instrument.Name == name)
            {
                description = instrument.Description;
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, measured, _, _) => value = measured);
        listener.Start();
        listener.RecordObservableInstruments();
        return (value, description);
    }
}
