using System.Diagnostics;
using BenchmarkDotNet.Running;
using Growlytics.Benchmarks.EndToEnd;
using Growlytics.Benchmarks.Infrastructure;

namespace Growlytics.Benchmarks;

/// <summary>
/// Runs the benchmarks: <c>dotnet run -c Release --project tests/Growlytics.Benchmarks -- --filter '*'</c>. With
/// <c>--loop one|many|floor|floor8|storage [rounds] [--curve] [--allocations] [--collections] [--hints-ab]</c> it runs an end-to-end scenario (or a floor) in a plain loop instead, without
/// BenchmarkDotNet, for a profiler to attach to, or (with <c>--curve</c>) to see how long the process takes to warm up (see the README);
/// with <c>--ratio [rounds]</c> it runs the four end-to-end cases in turn in one process.
/// </summary>
internal static class Program
{
    private static async Task Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "--ratio")
        {
            var rounds = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 140;
            if (rounds < 4)
            {
                Console.Error.WriteLine("--ratio needs at least 4 rounds (the medians are taken over the second half).");
                return;
            }

            await RatioAsync(rounds);
            return;
        }

        if (args.Length > 0 && args[0] == "--loop")
        {
            using var allocations = args.Contains("--allocations") ? new AllocationListener() : null;
            using var collections = args.Contains("--collections") ? new CollectionListener() : null;
            var curve = args.Contains("--curve");
            var hintsAb = args.Contains("--hints-ab");
            var rest = args.Skip(1).Where(a => a is not "--curve" and not "--allocations" and not "--collections" and not "--hints-ab").ToArray();
            await LoopAsync(rest.Length > 0 ? rest[0] : "one", rest.Length > 1 ? int.Parse(rest[1], System.Globalization.CultureInfo.InvariantCulture) : 100, curve, hintsAb);
            return;
        }

        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, BenchmarkConfig.Create());
    }

    /// <summary>
    /// The four end-to-end cases in one process, taking turns round by round, so a change in the machine's speed or the
    /// process's warmth reaches each case alike: the ratios of the medians of the second half of the rounds. The orders
    /// form a balanced square (each case follows each other case equally often, so no floor always runs in an SDK case's
    /// wake), and the heap is collected before each case, outside its time, as BenchmarkDotNet does between iterations.
    /// </summary>
    private static async Task RatioAsync(int rounds)
    {
        var benchmark = new EndToEndBenchmarks();
        await benchmark.SetupAsync();
        (string Name, Func<Task> Round)[] cases =
        [
            ("one user", benchmark.PushAndFlush),
            ("floor, one at a time", benchmark.FloorHttpClientPreGzipped),
            ("many users", benchmark.PushAndFlushManyUsers),
            ("floor, 8 at a time", benchmark.FloorHttpClientPreGzipped8AtATime),
        ];
        var times = cases.Select(_ => new List<double>()).ToArray();
        int[][] orders = [[0, 1, 3, 2], [1, 2, 0, 3], [2, 3, 1, 0], [3, 0, 2, 1]];
        for (var i = 0; i < rounds; i++)
        {
            foreach (var which in orders[i % orders.Length])
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
                GC.Collect();
                var clock = Stopwatch.StartNew();
                await cases[which].Round();
                times[which].Add(clock.Elapsed.TotalMilliseconds);
            }
        }

        await benchmark.CleanupAsync();
        var medians = times.Select(t => t.Skip(rounds / 2).OrderBy(ms => ms).ElementAt((rounds - (rounds / 2)) / 2)).ToArray();
        for (var k = 0; k < cases.Length; k++)
        {
            Console.WriteLine($"{cases[k].Name}: median {medians[k]:F1} ms ({50_000 / medians[k] * 1000:N0} msgs/s)");
        }

        Console.WriteLine($"{rounds} rounds each, medians of the last {rounds - (rounds / 2)}: one user {medians[1] / medians[0]:P1} of its floor, many users {medians[3] / medians[2]:P1} of theirs");
    }

    private static double Median(List<double> values)
    {
        var sorted = values.OrderBy(v => v).ToList();
        return sorted.Count == 0 ? double.NaN : sorted[sorted.Count / 2];
    }

    /// <summary>
    /// With <paramref name="hintsAb"/>, odd rounds run with the SDK's cache hints (<c>CacheHint</c>) and even rounds without,
    /// in one process, so a change in the machine's speed reaches both alike; the medians of each, and the CPU time the
    /// pushing thread used per round (Linux), are printed apart.
    /// </summary>
    private static async Task LoopAsync(string users, int rounds, bool curve, bool hintsAb)
    {
        var benchmark = new EndToEndBenchmarks();
        await benchmark.SetupAsync();
        // The storage burst's own sink is started only for that case (another listener would skew --allocations).
        var burst = users == "storage" ? new BurstBenchmarks { Storage = true } : null;
        if (burst is not null)
        {
            await burst.SetupAsync();
        }

        Func<Task> round = users switch
        {
            "many" => benchmark.PushAndFlushManyUsers,
            "floor" => benchmark.FloorHttpClientPreGzipped,
            "floor8" => benchmark.FloorHttpClientPreGzipped8AtATime,
            "storage" => burst!.PushBurstWithDefaults,
            _ => benchmark.PushAndFlush,
        };
        var times = new List<double>();
        var threads = new List<int>();
        List<double>[] byHints = [[], []];
        List<double>[] pushCpuByHints = [[], []];
        var gen0 = GC.CollectionCount(0);
        var gen1 = GC.CollectionCount(1);
        var gen2 = GC.CollectionCount(2);
        var paused = GC.GetTotalPauseDuration();
        var allocated = GC.GetTotalAllocatedBytes();
        for (var i = 0; i < rounds; i++)
        {
            var hints = i % 2 == 1;
            if (hintsAb)
            {
                GrowlyticsSdk.Threading.CacheHint.Enabled = hints;
            }

            var clock = Stopwatch.StartNew();
            await round();
            times.Add(clock.Elapsed.TotalSeconds);
            byHints[hints ? 1 : 0].Add(clock.Elapsed.TotalMilliseconds);
            pushCpuByHints[hints ? 1 : 0].Add(benchmark.LastPushCpuMilliseconds);
            threads.Add(ThreadPool.ThreadCount);
        }

        var messages = 50_000.0 * rounds;
        var collections = $"collections per round: gen0 {(GC.CollectionCount(0) - gen0) / (double)rounds:F2}, gen1 {(GC.CollectionCount(1) - gen1) / (double)rounds:F2}, gen2 {(GC.CollectionCount(2) - gen2) / (double)rounds:F2}; "
            + $"paused {(GC.GetTotalPauseDuration() - paused).TotalMilliseconds / rounds:F1} ms per round; allocated {(GC.GetTotalAllocatedBytes() - allocated) / messages:F0} B per message";
        await benchmark.CleanupAsync();
        if (burst is not null)
        {
            await burst.CleanupAsync();
        }
        if (curve)
        {
            // How the rate moves as the process warms up: the median of each 20 rounds, and the pool's threads by then.
            for (var i = 0; i < times.Count; i += 20)
            {
                var part = times.Skip(i).Take(20).OrderBy(t => t).ToList();
                Console.WriteLine($"rounds {i}-{i + part.Count - 1}: median {part[part.Count / 2] * 1000:F1} ms, pool threads {threads[i + part.Count - 1]}");
            }
        }

        if (hintsAb)
        {
            GrowlyticsSdk.Threading.CacheHint.Enabled = true;
            Console.WriteLine($"with cache hints: median {Median(byHints[1]):F1} ms, pushing thread's CPU {Median(pushCpuByHints[1]):F1} ms per round; "
                + $"without: {Median(byHints[0]):F1} ms, {Median(pushCpuByHints[0]):F1} ms ({rounds / 2} rounds each, alternating)");
        }

        times.Sort();
        var median = times[times.Count / 2];
        Console.WriteLine($"{users}: {rounds} rounds of 50,000 messages, median {median * 1000:F1} ms ({50_000 / median:N0} msgs/s)");
        Console.WriteLine(collections);
    }
}


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
        foreach (var (type, bytes) in _bytes.OrderByDescending(pair => pair.Value).Take(16))
        {
            Console.WriteLine($"{bytes * 100.0 / Math.Max(1, Interlocked.Read(ref _total)),6:F1} %  {(type.Length > 100 ? type[..100] + "..." : type)}");
        }
    }
}

/// <summary>
/// With <c>--loop ... --collections</c>: every blocking collection the runtime reports (its generation, the bytes it
/// promoted, how long the threads were stopped and how much of that it took to stop them), summed by generation and
/// printed when the loop ends; background collections of generation 2 (which run beside the threads) are only counted.
/// Covers the whole process (set-up and the sink included).
/// </summary>
internal sealed class CollectionListener : System.Diagnostics.Tracing.EventListener
{
    private const System.Diagnostics.Tracing.EventKeywords GcKeyword = (System.Diagnostics.Tracing.EventKeywords)0x1;
    private const long BackgroundCollection = 1;
    private readonly List<(int Generation, long Promoted, double PausedMs, double SuspendingMs)> _seen = [];
    private int _background;
    private int _generation = -1;
    private long _promoted;
    private DateTime _suspendBegin;
    private DateTime _suspendEnd;

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
                _seen.Add((_generation, _promoted, (eventData.TimeStamp - _suspendBegin).TotalMilliseconds, (_suspendEnd - _suspendBegin).TotalMilliseconds));
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
                    + $"threads stopped median {Median(group.Select(c => c.PausedMs)):F2} ms, of which stopping them {Median(group.Select(c => c.SuspendingMs)):F2} ms");
            }
        }

        base.Dispose();
    }

    private static long? Value(System.Diagnostics.Tracing.EventWrittenEventArgs eventData, string name) =>
        eventData.PayloadNames?.IndexOf(name) is >= 0 and var i ? Convert.ToInt64(eventData.Payload![i], System.Globalization.CultureInfo.InvariantCulture) : null;
}
