using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Reports;

namespace Growlytics.Benchmarks.Infrastructure;

/// <summary>
/// The configuration every run shares: medians next to means (the machine is noisy), allocations, and a
/// messages-per-second column for the end-to-end benchmarks. The jobs themselves are set per class
/// (<see cref="Jobs"/>), sized so that a full run takes minutes, not hours.
/// </summary>
internal static class BenchmarkConfig
{
    public static IConfig Create() => DefaultConfig.Instance
        .AddDiagnoser(MemoryDiagnoser.Default)
        .AddColumn(StatisticColumn.Median, StatisticColumn.P95, new MessagesPerSecondColumn())
        .WithSummaryStyle(SummaryStyle.Default.WithMaxParameterColumnWidth(40));
}
