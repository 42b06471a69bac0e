using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;
using GrowlyticsSdk.Diagnostics;
using GrowlyticsSdk.Tests.TestSupport;
using Microsoft.Extensions.DependencyInjection;

namespace GrowlyticsSdk.Tests.Delivery;

/// <summary>
/// A client made by <c>AddGrowlytics</c> creates its instruments on a meter of the host's <see cref="IMeterFactory"/>,
/// which the factory owns and ends: a meter cannot remove an instrument, so once the client has shut down its instruments
/// report nothing (as they do when the client ends a meter of its own), and they no longer hold the client.
/// </summary>
public sealed class MeterAfterShutdownTests
{
    [Fact]
    public async Task ShutDownClient_ReportsNothingOnTheHostsMeter()
    {
        using var factory = new DeliveryMeterFactory();
        var h = new DeliveryHarness(o => o.MeterFactory = factory);
        h.PushMany(3);
        await h.FlushAsync();
        var before = Measure(instrument => ReferenceEquals(instrument.Meter, factory.Created));

        await h.DisposeAsync();
        var after = Measure(instrument => ReferenceEquals(instrument.Meter, factory.Created));

        before.Should().Contain(m => m.Name == "growlytics.messages.delivered" && m.Value == 3);
        after.Should().BeEmpty("a client that has shut down reports no figures, though the host's meter lives on");
    }

    [Fact]
    public async Task ClientMadeAfterAShutDownOne_IsTheOnlyOneOnTheHostsMeter()
    {
        // The host's factory gives both clients the one meter it caches for the name (a client made again in one host, or a
        // test host's client after another's): the first one's figures must not be reported beside the second's.
        await using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var factory = services.GetRequiredService<IMeterFactory>();
        var first = new DeliveryHarness(o => o.MeterFactory = factory);
        first.PushMany(3);
        await first.FlushAsync();
        await first.DisposeAsync();

        await using var second = new DeliveryHarness(o => o.MeterFactory = factory);
        second.PushMany(5);
        await second.FlushAsync();
        var measured = Measure(instrument => ReferenceEquals(instrument.Meter.Scope, factory));

        measured.Where(m => m.Name == "growlytics.messages.delivered").Should().ContainSingle().Which.Value.Should().Be(5);
        measured.Select(m => m.Client).Distinct().Should().ContainSingle("only the client alive reports");
    }

    [Fact]
    public async Task ShutDownClient_IsNotKeptAliveByTheHostsMeter()
    {
        using var factory = new DeliveryMeterFactory();
        var client = await UseAndShutDownAsync(factory);

        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();

        client.IsAlive.Should().BeFalse("the host's meter, which lives on, holds nothing of a client that has shut down");
        factory.Created.Should().NotBeNull();
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static async Task<WeakReference> UseAndShutDownAsync(IMeterFactory factory)
    {
        var h = new DeliveryHarness(o => o.MeterFactory = factory);
        h.PushMany(3);
        await h.FlushAsync();
        await h.DisposeAsync();
        return new WeakReference(h.Client);
    }

    private static List<(string Name, object? Client, long Value)> Measure(Func<Instrument, bool> which)
    {
        var measured = new List<(string Name, object? Client, long Value)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == GrowlyticsMeter.MeterName && which(instrument))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            object? client = null;
            foreach (var tag in tags)
            {
                if (tag.Key == GrowlyticsMeter.ClientTag)
                {
                    client = tag.Value;
                }
            }

            lock (measured)
            {
                measured.Add((instrument.Name, client, value));
            }
        });
        listener.Start();
        listener.RecordObservableInstruments();
        return measured;
    }
}
