using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Net;
using CsCheck;
using GrowlyticsSdk.Diagnostics;
using GrowlyticsSdk.Tests.TestSupport;

namespace GrowlyticsSdk.Tests.Delivery;

public sealed class DeliveryStatisticsTests
{
    // 0 stands for a network error; the rest are the statuses a collector may answer.
    private static readonly int[] Answers = [200, 200, 200, 202, 0, 408, 429, 500, 503, 400, 422, 413, 401];

    [Fact]
    public async Task Statistics_RandomMixOfAnswers_EnqueuedEqualsDeliveredPlusDroppedPlusPending()
    {
        var scenario = Gen.Select(Gen.Int[1, 30].Array[1, 4], Gen.Int[0, Answers.Length - 1].Array[0, 12], Gen.Bool);
        await scenario.SampleAsync(
            async (pushes, answers, dropOldest) =>
            {
                await using var h = new DeliveryHarness(o =>
                {
                    o.MaxBatchSize = 4;
                    o.MaxQueueSize = 16;
                    o.QueueOverflowPolicy = dropOldest ? QueueOverflowPolicy.DropOldest : QueueOverflowPolicy.DropNewest;
                    o.MaxRetryAttempts = 2;
                    o.RetryBaseDelay = TimeSpan.FromMilliseconds(10);
                    o.MaxRetryDelay = TimeSpan.FromMilliseconds(50);
                    o.CircuitBreakDuration = TimeSpan.FromMilliseconds(500);
                });
                var script = new ConcurrentQueue<int>(answers.Select(a => Answers[a]));
                h.Responder = _ => script.TryDequeue(out var status) && status != 200
                    ? status == 0 ? throw new HttpRequestException("reset") : Task.FromResult(new HttpResponseMessage((HttpStatusCode)status))
                    : Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK));

                var n = 0;
                foreach (var count in pushes)
                {
                    h.PushMany(count, from: n);
                    n += count;
                    await h.FlushAsync(TimeSpan.FromMilliseconds(20));

                    var stats = h.AssertBalanced();
                    stats.Pending.Should().Be(0);
                    stats.Enqueued.Should().Be(n);
                    stats.Delivered.Should().Be(h.Accepted.SelectMany(r => r.MessageIds).Distinct().Count());
                }
            },
            iter: 25,
            threads: 1);
    }

    [Fact]
    public async Task Statistics_DroppedByReason_HoldsEveryReasonZeroIncluded()
    {
        await using var h = new DeliveryHarness();

        var byReason = h.Client.Statistics.DroppedByReason;

        byReason.Should().BeEquivalentTo(Enum.GetValues<DropReason>().ToDictionary(reason => reason, _ => 0L), "a reader indexes it by any reason without a lookup");
    }

    [Fact]
    public async Task GrowlyticsMeter_AfterMixedOutcomes_ReportsTheSameFiguresAsStatistics()
    {
        var factory = new DeliveryMeterFactory();
        await using var h = new DeliveryHarness(o =>
        {
            o.MaxBatchSize = 3;
            o.MeterFactory = factory;
            o.RetryBaseDelay = TimeSpan.FromMilliseconds(10);
        });
        h.RespondInTurn(HttpStatusCode.OK, HttpStatusCode.ServiceUnavailable, HttpStatusCode.OK, HttpStatusCode.BadRequest, HttpStatusCode.RequestEntityTooLarge);
        h.PushMany(9);
        await h.FlushAsync();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        h.Responder = async _ =>
        {
            // An answer of its own for each request the gate holds (a response object must not answer two).
            await gate.Task;
            return new HttpResponseMessage(HttpStatusCode.OK);
        };
        h.PushMany(5, from: 9);
        await DeliveryHarness.WaitUntilAsync(() => h.Requests.Count(r => r.Status == 0) == 1);

        var measured = Measure(factory.Created!);
        var stats = h.Client.Statistics;
        gate.SetResult();

        measured["growlytics.messages.enqueued"].Should().Be(stats.Enqueued).And.Be(14);
        measured["growlytics.messages.delivered"].Should().Be(stats.Delivered);
        measured["growlytics.messages.pending"].Should().Be(stats.Pending).And.Be(5);
        measured["growlytics.queue.bytes"].Should().Be(stats.QueuedBytes).And.BeGreaterThan(0, "five messages are in a request");
        measured["growlytics.requests.retried"].Should().Be(stats.Retried).And.Be(1);
        measured["growlytics.batches.sent"].Should().Be(stats.BatchesSent);
        measured["growlytics.messages.restored"].Should().Be(stats.Restored).And.Be(0);
        measured["growlytics.storage.corrupt_records"].Should().Be(stats.CorruptRecords).And.Be(0);
        measured["growlytics.calls.invalid"].Should().Be(stats.InvalidInputs).And.Be(0);
        measured["growlytics.messages.dropped"].Should().Be(stats.Dropped).And.BeGreaterThan(0);
        foreach (var (reason, count) in stats.DroppedByReason)
        {
            measured["growlytics.messages.dropped/" + reason].Should().Be(count);
        }

        stats.Enqueued.Should().Be(stats.Delivered + stats.Dropped + stats.Pending);
    }

    [Fact]
    public async Task GrowlyticsMeter_InvalidCallsDropped_ReportsThemAsInvalidCalls()
    {
        var factory = new DeliveryMeterFactory();
        await using var h = new DeliveryHarness(o =>
        {
            o.MeterFactory = factory;
            o.InvalidInputHandling = InvalidInputHandling.Drop;
        });

        h.Client.User.Push(new Dictionary<string, object?> { ["bad"] = Guid.Empty });
        h.Client.User.Push(new Dictionary<string, object?> { ["email"] = 42 });

        var measured = Measure(factory.Created!);
        measured["growlytics.calls.invalid"].Should().Be(2).And.Be(h.Client.Statistics.InvalidInputs);
        measured["growlytics.messages.enqueued"].Should().Be(0);
    }

    [Fact]
    public async Task GrowlyticsMeter_TwoClientsInOneProcess_TellTheirMeasurementsApart()
    {
        // Two hosts in one process (or a host and the facade's client): each client's meter is named Growlytics, and an
        // exporter keeps one series per instrument name and tag set, so measurements without a tag of their own would
        // overwrite each other (OpenTelemetry exported the last client's figure alone).
        var firstFactory = new DeliveryMeterFactory();
        var secondFactory = new DeliveryMeterFactory();
        await using var first = new DeliveryHarness(o => o.MeterFactory = firstFactory);
        await using var second = new DeliveryHarness(o => o.MeterFactory = secondFactory);
        first.PushMany(3);
        second.PushMany(5);
        await first.FlushAsync();
        await second.FlushAsync();

        var delivered = new List<(string Tags, long Value)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if ((ReferenceEquals(instrument.Meter, firstFactory.Created) || ReferenceEquals(instrument.Meter, secondFactory.Created))
                && instrument.Name == "growlytics.messages.delivered")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            var tagText = string.Join(",", tags.ToArray().OrderBy(t => t.Key, StringComparer.Ordinal).Select(t => t.Key + "=" + t.Value));
            lock (delivered)
            {
                delivered.Add((tagText, value));
            }
        });
        listener.Start();
        listener.RecordObservableInstruments();

        delivered.Select(d => d.Value).Should().BeEquivalentTo([3L, 5L]);
        delivered.Select(d => d.Tags).Should().OnlyHaveUniqueItems("an exporter merges same-named instruments by their tags");
    }

    [Fact]
    public void GrowlyticsMeter_EachInstrument_ReadsItsOwnFigure()
    {
        // Every figure different, so an instrument that read another's counter (two that are zero in the tests above,
        // restored and corrupt records, or a drop reason tagged with another's count) shows.
        var counters = new DeliveryCounters();
        counters.AddEnqueued(1_000);
        counters.AddRestored(3);
        counters.AddDelivered(40);
        counters.AddRetry();
        counters.AddRetry();
        for (var i = 0; i < 5; i++)
        {
            counters.AddRequest();
        }

        for (var i = 0; i < 7; i++)
        {
            counters.AddInvalidInput();
        }

        counters.AddCorrupt(11);
        var reasons = DeliveryCounters.AllReasons;
        for (var i = 0; i < reasons.Count; i++)
        {
            counters.AddDropped(reasons[i], 20 + i);
        }

        using var factory = new DeliveryMeterFactory();
        using var meter = new GrowlyticsMeter(counters, () => 17, () => 19, factory);

        var measured = new List<(string Name, Dictionary<string, object?> Tags, long Value)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (ReferenceEquals(instrument.Meter, factory.Created))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            lock (measured)
            {
                measured.Add((instrument.Name, tags.ToArray().ToDictionary(t => t.Key, t => t.Value), value));
            }
        });
        listener.Start();
        listener.RecordObservableInstruments();

        factory.Created!.Name.Should().Be("Growlytics");
        measured.Where(m => m.Name != "growlytics.messages.dropped").ToDictionary(m => m.Name, m => m.Value).Should().Equal(
            new Dictionary<string, long>
            {
                ["growlytics.messages.enqueued"] = 1_003,
                ["growlytics.messages.delivered"] = 40,
                ["growlytics.requests.retried"] = 2,
                ["growlytics.batches.sent"] = 5,
                ["growlytics.messages.restored"] = 3,
                ["growlytics.calls.invalid"] = 7,
                ["growlytics.storage.corrupt_records"] = 11,
                ["growlytics.messages.pending"] = 17,
                ["growlytics.queue.bytes"] = 19,
            });
        measured.Where(m => m.Name == "growlytics.messages.dropped").ToDictionary(m => (string)m.Tags["reason"]!, m => m.Value).Should().Equal(
            reasons.Select((reason, i) => (reason, i)).ToDictionary(r => r.reason.ToString(), r => 20L + r.i));
        measured.Should().OnlyContain(m => m.Tags.ContainsKey(GrowlyticsMeter.ClientTag), "each measurement tells its client apart");
        measured.Select(m => m.Tags[GrowlyticsMeter.ClientTag]).Distinct().Should().ContainSingle();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void GrowlyticsMeter_Disposed_EndsItsOwnMeterOnly(bool hostFactory)
    {
        // Its own meter ends with the client (a listener stops observing a disposed client's figures, and lets it go); a
        // host's factory gives every client of the host its one cached meter, which the factory ends.
        const long Mark = 7_654_321;
        var counters = new DeliveryCounters();
        counters.AddCorrupt(Mark);
        using var factory = hostFactory ? new DeliveryMeterFactory() : null;
        Meter? created = null;
        var completed = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == GrowlyticsMeter.MeterName)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, _, _) =>
        {
            // Clients of other tests may be measured too: this one's is the meter that measures the mark.
            if (instrument.Name == "growlytics.storage.corrupt_records" && value == Mark)
            {
                created = instrument.Meter;
            }
        });
        listener.MeasurementsCompleted = (instrument, _) =>
        {
            if (ReferenceEquals(instrument.Meter, Volatile.Read(ref created)))
            {
                Interlocked.Increment(ref completed);
            }
        };
        listener.Start();

        var meter = new GrowlyticsMeter(counters, () => 0, () => 0, factory);
        listener.RecordObservableInstruments();
        created.Should().NotBeNull().And.BeSameAs(factory?.Created ?? created);
        meter.Dispose();

        Volatile.Read(ref completed).Should().Be(hostFactory ? 0 : 10, hostFactory ? "the factory's meter is the factory's to end" : "each of its ten instruments ends with it");
    }

    private static Dictionary<string, long> Measure(Meter meter)
    {
        var measured = new Dictionary<string, long>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (ReferenceEquals(instrument.Meter, meter))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            lock (measured)
            {
                measured[instrument.Name] = measured.GetValueOrDefault(instrument.Name) + value;
                foreach (var tag in tags)
                {
                    measured[instrument.Name + "/" + tag.Value] = value;
                }
            }
        });
        listener.Start();
        listener.RecordObservableInstruments();
        return measured;
    }
}
