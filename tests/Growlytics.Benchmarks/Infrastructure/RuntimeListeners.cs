namespace Growlytics.Benchmarks;

/// <summary>
/// With <c>--loop ... --allocations</c>: the runtime's allocation samples (one per about 100 KB allocated, with the type of
/// the object that crossed the mark), summed by type and printed as shares of what the whole process allocated (set-up
/// and the sink included) when the loop ends. The listener slows the loop: read the shares, not the timings, of such a run.
/// </summary>
internal sealed class AllocationListener : System.Diagnostics.Tracing.EventListener
{
    private const System.Diagnostics.Tracing.EventKeywords GcKeyword = (System.Diagnostics.Tracing.EventKeywords)0x1;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, long> _bytes = new();
    private long _total;

    /// <summary>Forgets what was counted so far (the loop calls it half-way, so the shares cover the warm process).</summary>
    public void Clear()
    {
        _bytes.Clear();
        Interlocked.Exchange(ref _total, 0);
    }

    protected override void OnEventSourceCreated(System.Diagnostics.Tracing.EventSource eventSource)
    {
        if (eventSource.Name == "Microsoft-Windows-DotNETRuntime")
        {
            EnableEvents(eventSource, System.Diagnostics.Tracing.EventLevel.Verbose, GcKeyword);
        }
    }

    protected override void OnEventWritten(System.Diagnostics.Tracing.EventWrittenEventArgs eventData)
    {
        if (eventData.EventName?.StartsWith("GCAllocationTick", StringComparison.Ordinal) != true || eventData.Payload is not { } payload)
        {
            return;
        }

        var names = eventData.PayloadNames!;
        var type = names.IndexOf("TypeName") is var t and >= 0 ? payload[t] as string ?? "?" : "?";

        // Kind 1: the large-object heap (objects of 85,000 bytes or more), whose allocations bring generation-2 collections.
        if (names.IndexOf("AllocationKind") is var k and >= 0 && Convert.ToInt32(payload[k], System.Globalization.CultureInfo.InvariantCulture) == 1)
        {
            type = "(large) " + type;
        }

        var amount = names.IndexOf("AllocationAmount64") is var a and >= 0 ? Convert.ToInt64(payload[a], System.Globalization.CultureInfo.InvariantCulture) : 100_000;
        _bytes.AddOrUpdate(type, static (_, add) => add, static (_, sum, add) => sum + add, amount);
        Interlocked.Add(ref _total, amount);
    }

    public override void Dispose()
    {
        base.Dispose();
        Console.WriteLine("allocated, by type (sampled):");
        foreach (var (type, bytes) in _bytes.OrderByDescending(pair => pair.Value).Take(40))
        {
            Console.WriteLine($"{bytes * 100.0 / Math.Max(1, Interlocked.Read(ref _total)),6:F1} %  {(type.Length > 150 ? type[..150] + "..." : type)}");
        }
    }
}

/// <summary>
/// With <c>--loop ... --collections</c>: every blocking collection the runtime reports (its generation, the bytes it
/// promoted, how long the threads were stopped and how much of that it took to stop them), summed by generation and
/// printed when the loop ends; background collections of generation 2 (which run beside the threads) are only counted.
/// Each collection's marking is split by the runtime's own mark events: from its start to the end of marking from the
/// roots (stacks, finalization queue, handles), then through the older generations' cards (the references that objects
/// kept from earlier collections hold to younger ones), then the rest (the sink's and the SDK's alike).
/// Covers the whole process (the sink included), from the loop's half-way round on (see <see cref="Clear"/>).
/// </summary>
internal sealed class CollectionListener : System.Diagnostics.Tracing.EventListener
{
    private const System.Diagnostics.Tracing.EventKeywords GcKeyword = (System.Diagnostics.Tracing.EventKeywords)0x1;
    private const long BackgroundCollection = 1;
    private readonly List<(int Generation, long Promoted, double PausedMs, double SuspendingMs, double RootsMs, double CardsMs, double CollectingMs)> _seen = [];
    private int _background;
    private int _generation = -1;
    private long _promoted;
    private DateTime _suspendBegin;
    private DateTime _suspendEnd;
    private DateTime _start;
    private double _rootsMs;
    private double _cardsMs;

    protected override void OnEventSourceCreated(System.Diagnostics.Tracing.EventSource eventSource)
    {
        if (eventSource.Name == "Microsoft-Windows-DotNETRuntime")
        {
            EnableEvents(eventSource, System.Diagnostics.Tracing.EventLevel.Informational, GcKeyword);
        }
    }

    protected override void OnEventWritten(System.Diagnostics.Tracing.EventWrittenEventArgs eventData)
    {
        // A blocking collection's events arrive in order: suspension begins and ends, the collection starts, the heap's
        // figures are reported, the threads restart. A background one starts while the threads run: counted apart.
        var name = eventData.EventName ?? string.Empty;
        lock (_seen)
        {
            if (name.StartsWith("GCSuspendEEBegin", StringComparison.Ordinal))
            {
                _suspendBegin = eventData.TimeStamp;
                _generation = -1;
                _promoted = 0;
            }
            else if (name.StartsWith("GCSuspendEEEnd", StringComparison.Ordinal))
            {
                _suspendEnd = eventData.TimeStamp;
            }
            else if (name.StartsWith("GCStart", StringComparison.Ordinal) && Value(eventData, "Depth") is { } depth)
            {
                if (Value(eventData, "Type") == BackgroundCollection)
                {
                    _background++;
                }
                else
                {
                    _generation = (int)depth;
                    _start = eventData.TimeStamp;
                    _rootsMs = 0;
                    _cardsMs = 0;
                }
            }
            else if (name.StartsWith("GCMarkWithType", StringComparison.Ordinal) && _generation >= 0 && Value(eventData, "Type") is { } kind)
            {
                // 0-2: the roots (stacks, finalization queue, handles), marked first; 3: the older generations' cards.
                var at = (eventData.TimeStamp - _start).TotalMilliseconds;
                if (kind <= 2)
                {
                    _rootsMs = Math.Max(_rootsMs, at);
                }
                else if (kind == 3)
                {
                    _cardsMs = at - _rootsMs;
                }
            }
            else if (name.StartsWith("GCHeapStats", StringComparison.Ordinal) && _generation >= 0)
            {
                // Promoted out of generations 0 and 1; a collection of generation 2 also keeps what survived there and in
                // the large- and pinned-object heaps.
                _promoted = (Value(eventData, "TotalPromotedSize0") ?? 0) + (Value(eventData, "TotalPromotedSize1") ?? 0);
                if (_generation == 2)
                {
                    _promoted += (Value(eventData, "TotalPromotedSize2") ?? 0) + (Value(eventData, "TotalPromotedSize3") ?? 0) + (Value(eventData, "TotalPromotedSize4") ?? 0);
                }
            }
            else if (name.StartsWith("GCRestartEEEnd", StringComparison.Ordinal) && _generation >= 0)
            {
                _seen.Add((_generation, _promoted, (eventData.TimeStamp - _suspendBegin).TotalMilliseconds, (_suspendEnd - _suspendBegin).TotalMilliseconds, _rootsMs, _cardsMs, (eventData.TimeStamp - _start).TotalMilliseconds));
                _generation = -1;
            }
        }
    }

    public override void Dispose()
    {
        // The runtime hands events over with a short delay: the last ones are waited for before printing.
        Thread.Sleep(500);
        lock (_seen)
        {
            Console.WriteLine($"collections (all the process's blocking ones; {_background} background of generation 2 not shown):");
            foreach (var group in _seen.GroupBy(c => c.Generation).OrderBy(g => g.Key))
            {
                static double Median(IEnumerable<double> values) => values.OrderBy(v => v).ElementAt(values.Count() / 2);
                Console.WriteLine($"  gen{group.Key}: {group.Count()}, promoted median {Median(group.Select(c => (double)c.Promoted)) / 1024:F0} KB, "
                    + $"threads stopped median {Median(group.Select(c => c.PausedMs)):F2} ms, of which stopping them {Median(group.Select(c => c.SuspendingMs)):F2} ms; "
                    + $"from its start, marking from the roots {Median(group.Select(c => c.RootsMs)):F2} ms, through older generations' cards {Median(group.Select(c => c.CardsMs)):F2} ms, "
                    + $"until restarting {Median(group.Select(c => c.CollectingMs)):F2} ms");
            }
        }

        base.Dispose();
    }

    /// <summary>Forgets the collections seen so far (the loop calls it half-way, so the figures cover the warm process).</summary>
    public void Clear()
    {
        lock (_seen)
        {
            _seen.Clear();
            _background = 0;
        }
    }

    private static long? Value(System.Diagnostics.Tracing.EventWrittenEventArgs eventData, string name) =>
        eventData.PayloadNames?.IndexOf(name) is >= 0 and var i ? Convert.ToInt64(eventData.Payload![i], System.Globalization.CultureInfo.InvariantCulture) : null;
}
