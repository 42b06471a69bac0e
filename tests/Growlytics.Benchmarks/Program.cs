using System.Diagnostics;
using BenchmarkDotNet.Running;
using Growlytics.Benchmarks.EndToEnd;
using Growlytics.Benchmarks.Infrastructure;

namespace Growlytics.Benchmarks;

/// <summary>
/// Runs the benchmarks: <c>dotnet run -c Release --project tests/Growlytics.Benchmarks -- --filter '*'</c>. With
/// <c>--loop one|many|many-inprocess|floor|floor8|floor8-json|storage [rounds] [--curve] [--allocations] [--collections] [--hints-ab]</c> it runs an end-to-end scenario (or a floor) in a plain loop instead, without
/// BenchmarkDotNet, for a profiler to attach to, or (with <c>--curve</c>) to see how long the process takes to warm up (see the README);
/// <c>many-inprocess</c> is the many-user case answered by an in-process handler instead of the loopback collector (the SDK's
/// own work, without sockets or a server) and <c>floor8-json</c> the JSON-and-gzip floor 8 at a time; <c>--allocations</c> and <c>--collections</c> cover the second half of the rounds;
/// with <c>--ratio [rounds]</c> it runs the four end-to-end cases in turn in one process; with <c>--caller [iterations]
/// [--recycle] [--no-collect]</c> the caller's dictionary case in a plain loop (see <see cref="Caller.CallerLoop"/>).
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

        if (args.Length > 0 && args[0] == "--caller")
        {
            var options = args.Skip(1).Where(a => a.StartsWith("--", StringComparison.Ordinal)).ToArray();
            var numbers = args.Skip(1).Except(options).ToArray();
            Caller.CallerLoop.Run(
                numbers.Length > 0 ? int.Parse(numbers[0], System.Globalization.CultureInfo.InvariantCulture) : 20,
                recycle: options.Contains("--recycle"),
                collect: !options.Contains("--no-collect"));
            return;
        }

        if (args.Length > 0 && args[0] == "--loop")
        {
            using var allocations = args.Contains("--allocations") ? new AllocationListener() : null;
            using var collections = args.Contains("--collections") ? new CollectionListener() : null;
            var curve = args.Contains("--curve");
            var hintsAb = args.Contains("--hints-ab");
            var rest = args.Skip(1).Where(a => a is not "--curve" and not "--allocations" and not "--collections" and not "--hints-ab").ToArray();
            void HalfWay()
            {
                allocations?.Clear();
                collections?.Clear();
            }

            await LoopAsync(rest.Length > 0 ? rest[0] : "one", rest.Length > 1 ? int.Parse(rest[1], System.Globalization.CultureInfo.InvariantCulture) : 100, curve, hintsAb, HalfWay);
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
        var cpu = cases.Select(_ => new List<double>()).ToArray();
        var pushCpu = cases.Select(_ => new List<double>()).ToArray();
        using var process = Process.GetCurrentProcess();
        int[][] orders = [[0, 1, 3, 2], [1, 2, 0, 3], [2, 3, 1, 0], [3, 0, 2, 1]];
        for (var i = 0; i < rounds; i++)
        {
            foreach (var which in orders[i % orders.Length])
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
                GC.Collect();
                process.Refresh();
                var cpuBefore = process.TotalProcessorTime;
                var clock = Stopwatch.StartNew();
                await cases[which].Round();
                times[which].Add(clock.Elapsed.TotalMilliseconds);
                process.Refresh();
                cpu[which].Add((process.TotalProcessorTime - cpuBefore).TotalMilliseconds);
                pushCpu[which].Add(benchmark.LastPushCpuMilliseconds);
            }
        }

        await benchmark.CleanupAsync();
        var medians = times.Select(t => t.Skip(rounds / 2).OrderBy(ms => ms).ElementAt((rounds - (rounds / 2)) / 2)).ToArray();
        for (var k = 0; k < cases.Length; k++)
        {
            var cpuMedian = Median(cpu[k].Skip(rounds / 2).ToList());
            Console.WriteLine($"{cases[k].Name}: median {medians[k]:F1} ms ({50_000 / medians[k] * 1000:N0} msgs/s), process CPU {cpuMedian:F1} ms per round ({cpuMedian / medians[k]:F2} cores){(k is 0 or 2 ? $", pushing thread {Median(pushCpu[k].Skip(rounds / 2).ToList()):F1} ms" : "")}");
        }

        Console.WriteLine($"{rounds} rounds each, medians of the last {rounds - (rounds / 2)}: one user {medians[1] / medians[0]:P1} of its floor, many users {medians[3] / medians[2]:P1} of theirs");
    }

    private static double Mean(List<double> values) => values.Count == 0 ? double.NaN : values.Average();

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
    private static async Task LoopAsync(string users, int rounds, bool curve, bool hintsAb, Action halfWay)
    {
        var benchmark = new EndToEndBenchmarks { Handler = users == "many-inprocess" ? new InProcessAnswers() : null };
        await benchmark.SetupAsync();
        // The storage burst's own sink is started only for that case (another listener would skew --allocations).
        var burst = users == "storage" ? new BurstBenchmarks { Storage = true } : null;
        if (burst is not null)
        {
            await burst.SetupAsync();
        }

        Func<Task> round = users switch
        {
            "many" or "many-inprocess" => benchmark.PushAndFlushManyUsers,
            "floor" => benchmark.FloorHttpClientPreGzipped,
            "floor8" => benchmark.FloorHttpClientPreGzipped8AtATime,
            "storage" => burst!.PushBurstWithDefaults,
            _ => benchmark.PushAndFlush,
        };
        var times = new List<double>();
        var threads = new List<int>();
        var jitted = new List<(long Methods, double Milliseconds)>();
        List<double>[] byHints = [[], []];
        var hintsBefore = GrowlyticsSdk.Threading.CacheHint.Enabled;
        List<double>[] pushCpuByHints = [[], []];
        List<double>[] allocatedByHints = [[], []];
        List<double>[] pausedByHints = [[], []];
        var cpu = new List<double>();
        var batches = new List<long>();
        var workItems = new List<long>();
        using var process = Process.GetCurrentProcess();
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

            if (i == rounds / 2)
            {
                halfWay();
            }

            var allocatedBefore = GC.GetTotalAllocatedBytes();
            var pausedBefore = GC.GetTotalPauseDuration();
            process.Refresh();
            var cpuBefore = process.TotalProcessorTime;
            var batchesBefore = benchmark.Client.Statistics.BatchesSent;
            var workItemsBefore = ThreadPool.CompletedWorkItemCount;
            var clock = Stopwatch.StartNew();
            await round();
            times.Add(clock.Elapsed.TotalSeconds);
            process.Refresh();
            cpu.Add((process.TotalProcessorTime - cpuBefore).TotalMilliseconds);
            batches.Add(benchmark.Client.Statistics.BatchesSent - batchesBefore);
            workItems.Add(ThreadPool.CompletedWorkItemCount - workItemsBefore);
            byHints[hints ? 1 : 0].Add(clock.Elapsed.TotalMilliseconds);
            pushCpuByHints[hints ? 1 : 0].Add(benchmark.LastPushCpuMilliseconds);
            allocatedByHints[hints ? 1 : 0].Add((GC.GetTotalAllocatedBytes() - allocatedBefore) / 50_000.0);
            pausedByHints[hints ? 1 : 0].Add((GC.GetTotalPauseDuration() - pausedBefore).TotalMilliseconds);
            threads.Add(ThreadPool.ThreadCount);
            jitted.Add((System.Runtime.JitInfo.GetCompiledMethodCount(), System.Runtime.JitInfo.GetCompilationTime().TotalMilliseconds));
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
                var last = i + part.Count - 1;
                var before = i == 0 ? (Methods: 0L, Milliseconds: 0.0) : jitted[i - 1];
                var sent = batches.Skip(i).Take(20).OrderBy(b => b).ToList();
                var items = workItems.Skip(i).Take(20).OrderBy(w => w).ToList();
                var rounds20 = cpu.Skip(i).Take(20).OrderBy(c => c).ToList();
                Console.WriteLine($"rounds {i}-{last}: median {part[part.Count / 2] * 1000:F1} ms, requests {sent[sent.Count / 2]} (min {sent[0]}, max {sent[^1]}), CPU {rounds20[rounds20.Count / 2]:F1} ms, work items {items[items.Count / 2]}, pool threads {threads[last]}, "
                    + $"methods compiled {jitted[last].Methods - before.Methods} in {jitted[last].Milliseconds - before.Milliseconds:F0} ms{(i == 0 ? " (since the process started)" : "")}");
            }
        }

        if (hintsAb)
        {
            GrowlyticsSdk.Threading.CacheHint.Enabled = hintsBefore;

            // The floors push nothing: no pushing thread's CPU for them.
            var pushing = users is "one" or "many" or "many-inprocess";
            string Cpu(List<double> values) => pushing ? $", pushing thread's CPU {Median(values):F1} ms per round" : "";
            Console.WriteLine($"with cache hints: median {Median(byHints[1]):F1} ms{Cpu(pushCpuByHints[1])} ({byHints[1].Count} rounds); "
                + $"without: {Median(byHints[0]):F1} ms{Cpu(pushCpuByHints[0])} ({byHints[0].Count} rounds); alternating");
            // A round's collections may fall in the next round: with the sides alternating, each gets its share.
            Console.WriteLine($"allocated per message: with {Mean(allocatedByHints[1]):F1} B, without {Mean(allocatedByHints[0]):F1} B; "
                + $"collector's pauses per round: with {Mean(pausedByHints[1]):F2} ms, without {Mean(pausedByHints[0]):F2} ms (means)");
        }

        var cpuMedian = Median(cpu.Skip(rounds / 2).ToList());
        times.Sort();
        var median = times[times.Count / 2];
        Console.WriteLine($"{users}: {rounds} rounds of 50,000 messages, median {median * 1000:F1} ms ({50_000 / median:N0} msgs/s); process CPU {cpuMedian:F1} ms per round (median of the second half)");
        Console.WriteLine(collections);
    }
}
