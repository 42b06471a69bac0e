using System.Diagnostics;
using System.Globalization;
using Growlytics.Benchmarks.Infrastructure;

namespace Growlytics.Benchmarks.Caller;

/// <summary>
/// The caller benchmark's dictionary case in a plain loop, without BenchmarkDotNet (<c>--caller [iterations]
/// [--recycle] [--no-collect]</c>): iterations of <see cref="Jobs.CallsPerIteration"/> 3-attribute <c>Push</c> calls
/// on a client whose delivery loop is not running, the queue emptied after each as in <see cref="PushBenchmarks"/>.
/// Without <c>--recycle</c> the emptied messages are not given back (<c>DictionaryNothingDelivered</c>); with it they
/// are (<c>Dictionary</c>). The heap is collected before each iteration, as BenchmarkDotNet does, unless
/// <c>--no-collect</c>. Each iteration prints the time per call and, for the calls alone, the collections, the
/// collector's pauses, the bytes allocated and (Linux) the page faults: where a call's time goes besides its own work.
/// </summary>
internal static class CallerLoop
{
    public static void Run(int iterations, bool recycle, bool collect)
    {
        using var client = Clients.WithoutDelivery();
        var attributes = Infrastructure.Attributes.Dictionary(3);
        var calls = Jobs.CallsPerIteration;
        for (var iteration = 0; iteration < iterations; iteration++)
        {
            if (collect)
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
                GC.Collect();
            }

            var gen0 = GC.CollectionCount(0);
            var gen1 = GC.CollectionCount(1);
            var gen2 = GC.CollectionCount(2);
            var paused = GC.GetTotalPauseDuration();
            var allocated = GC.GetAllocatedBytesForCurrentThread();
            var faults = MinorPageFaults();
            var clock = Stopwatch.StartNew();
            for (var i = 0; i < calls; i++)
            {
                client.User.Push(attributes);
            }

            clock.Stop();
            var faulted = MinorPageFaults() - faults;
            var bytes = (GC.GetAllocatedBytesForCurrentThread() - allocated) / (double)calls;
            var pause = (GC.GetTotalPauseDuration() - paused).TotalMilliseconds;
            Console.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"{clock.Elapsed.TotalMilliseconds * 1e6 / calls:F1} ns per call, {bytes:F0} B; collections gen0 {GC.CollectionCount(0) - gen0}, gen1 {GC.CollectionCount(1) - gen1}, gen2 {GC.CollectionCount(2) - gen2}; "
                + $"paused {pause:F2} ms ({pause * 1e6 / calls:F1} ns per call); page faults {(faults < 0 ? "n/a" : faulted.ToString(CultureInfo.InvariantCulture))}"));
            Clients.Drain(client, recycle);
        }
    }

    // The process's minor page faults so far (the tenth field after the command in /proc/self/stat), or -1 off Linux.
    private static long MinorPageFaults()
    {
        if (!OperatingSystem.IsLinux())
        {
            return -1;
        }

        var stat = File.ReadAllText("/proc/self/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return long.Parse(fields[7], CultureInfo.InvariantCulture);
    }
}
