using System.Globalization;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace Growlytics.Benchmarks.Infrastructure;

/// <summary>
/// Messages per second from the median time per operation, for benchmarks that count one operation per
/// message (<c>OperationsPerInvoke</c>); empty for the others.
/// </summary>
internal sealed class MessagesPerSecondColumn : IColumn
{
    public string Id => nameof(MessagesPerSecondColumn);

    public string ColumnName => "Msgs/s (median)";

    public bool AlwaysShow => true;

    public ColumnCategory Category => ColumnCategory.Custom;

    public int PriorityInCategory => 0;

    public bool IsNumeric => true;

    public UnitType UnitType => UnitType.Dimensionless;

    public string Legend => "Messages per second, 1 s / median time per message (end-to-end benchmarks only)";

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        if (benchmarkCase.Descriptor.OperationsPerInvoke <= 1 || summary[benchmarkCase]?.ResultStatistics is not { } stats)
        {
            return "-";
        }

        return (1e9 / stats.Median).ToString("N0", CultureInfo.InvariantCulture);
    }

    public bool IsAvailable(Summary summary) => true;

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
}
