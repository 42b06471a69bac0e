using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;

namespace Growlytics.Benchmarks.Infrastructure;

/// <summary>The job shapes, shorter than BenchmarkDotNet's default so a full run fits in a few minutes.</summary>
internal static class Jobs
{
    /// <summary>
    /// Calls on the caller's thread. A fixed number of calls per iteration, so the queue (which has no reader
    /// in these benchmarks) can be emptied in <c>[IterationCleanup]</c> between iterations.
    /// </summary>
    public const int CallsPerIteration = 65_536;

    public static Job Caller { get; } = Job.Default
        .WithId("Caller")
        .WithLaunchCount(1)
        .WithWarmupCount(3)
        .WithIterationCount(15)
        .WithInvocationCount(CallsPerIteration)
        .WithUnrollFactor(16);

    /// <summary>
    /// <see cref="Caller"/> with a 256 MB generation 0 (<c>DOTNET_GCgen0size</c>), so no collection runs inside an
    /// iteration (BenchmarkDotNet collects between iterations): the call's own cost, without the collector's work for
    /// what the 65,536 calls of an iteration allocate and leave queued (their messages, unless given back between
    /// iterations: see <c>PushBenchmarks</c>). Read it beside <see cref="Caller"/>, never instead of it.
    /// </summary>
    public static Job CallerWithoutCollections { get; } = Caller
        .WithId("CallerNoGC")
        .WithEnvironmentVariable("DOTNET_GCgen0size", "0x10000000");

    public static Job Short { get; } = Job.Default
        .WithId("Short")
        .WithLaunchCount(1)
        .WithWarmupCount(3)
        .WithIterationCount(15);

    /// <summary>
    /// One invocation is a whole scenario (tens of thousands of messages); each iteration runs it once. Sixty warm-up
    /// iterations: on this 2-core machine the SDK's many-user round is still being recompiled (tier 1, with the profile
    /// gathered) through rounds 40-59 and reaches its steady speed by about round 60-80 (<c>--loop many 140 --curve</c>,
    /// which prints the methods the JIT compiled in each 20 rounds); under BenchmarkDotNet its measured iterations take
    /// about as long after 160 warm-up iterations as after 60. The floors go on speeding up for much longer (to about round
    /// 140): a longer warm-up does not flatter the ratios, it lowers them (see the README: many users 72.6 % of the floor
    /// with 60, 42.3-44.4 % with 160, same hour).
    /// Three processes per case: on this 2-core VM one process runs the same case up to twice as fast as the next (the
    /// floors as much as the SDK), so with one process a ratio compared two draws; the median is taken over the three
    /// processes' 30 iterations, and the spread between them shows in the error and standard deviation columns.
    /// </summary>
    public static Job Scenario { get; } = Job.Default
        .WithId("Scenario")
        .WithLaunchCount(3)
        .WithWarmupCount(60)
        .WithIterationCount(10)
        .WithInvocationCount(1)
        .WithUnrollFactor(1);

    /// <summary>A whole scenario per iteration, three measured iterations: the median of 3.</summary>
    public static Job Goodput { get; } = Job.Default
        .WithId("Goodput")
        .WithLaunchCount(1)
        .WithWarmupCount(1)
        .WithIterationCount(3)
        .WithInvocationCount(1)
        .WithUnrollFactor(1);
}

/// <summary>Applies <see cref="Jobs.Caller"/> and <see cref="Jobs.CallerWithoutCollections"/>.</summary>
[AttributeUsage(AttributeTargets.Class)]
internal sealed class CallerJobAttribute : Attribute, IConfigSource
{
    public IConfig Config { get; } = ManualConfig.CreateEmpty().AddJob(Jobs.Caller).AddJob(Jobs.CallerWithoutCollections);
}

/// <summary>Applies <see cref="Jobs.Short"/>.</summary>
[AttributeUsage(AttributeTargets.Class)]
internal sealed class ShortJobAttribute : Attribute, IConfigSource
{
    public IConfig Config { get; } = ManualConfig.CreateEmpty().AddJob(Jobs.Short);
}

/// <summary>Applies <see cref="Jobs.Scenario"/>.</summary>
[AttributeUsage(AttributeTargets.Class)]
internal sealed class ScenarioJobAttribute : Attribute, IConfigSource
{
    public IConfig Config { get; } = ManualConfig.CreateEmpty().AddJob(Jobs.Scenario);
}

/// <summary>Applies <see cref="Jobs.Goodput"/>.</summary>
[AttributeUsage(AttributeTargets.Class)]
internal sealed class GoodputJobAttribute : Attribute, IConfigSource
{
    public IConfig Config { get; } = ManualConfig.CreateEmpty().AddJob(Jobs.Goodput);
}
