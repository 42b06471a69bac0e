using BenchmarkDotNet.Running;
using Growlytics.Benchmarks.Infrastructure;

namespace Growlytics.Benchmarks;

/// <summary>Runs the benchmarks: <c>dotnet run -c Release --project tests/Growlytics.Benchmarks -- --filter '*'</c>.</summary>
internal static class Program
{
    private static void Main(string[] args) =>
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, BenchmarkConfig.Create());
}
