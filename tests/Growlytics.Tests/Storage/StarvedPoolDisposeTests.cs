using System.Diagnostics;
using System.Globalization;

namespace GrowlyticsSdk.Tests.Storage;

/// <summary>
/// <see cref="GrowlyticsClient.Dispose"/> in a process whose thread pool is starved (every thread blocked): it returns
/// after about <see cref="GrowlyticsOptions.ShutdownTimeout"/> instead of waiting for as long as the pool is blocked. In a
/// child process, so the starved pool is not this one's.
/// </summary>
public sealed class StarvedPoolDisposeTests
{
    [Fact]
    public async Task Dispose_ThreadPoolStarved_ReturnsAfterAboutTheShutdownTimeout()
    {
        using var child = Process.Start(new ProcessStartInfo("dotnet")
        {
            ArgumentList = { ChildProgram.Path(), "starved-dispose" },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        })!;
        string? line;
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
            line = await child.StandardOutput.ReadLineAsync(timeout.Token);
        }
        finally
        {
            child.Kill(entireProcessTree: true);
            await child.WaitForExitAsync();
        }

        line.Should().StartWith("disposed ", "the child reports how long Dispose blocked; stderr: " + await child.StandardError.ReadToEndAsync());
        var blocked = TimeSpan.FromMilliseconds(long.Parse(line!.AsSpan("disposed ".Length), CultureInfo.InvariantCulture));

        // The bound is ShutdownTimeout (500 ms) + 250 ms for handlers + 1 s; the rest is headroom for a busy machine. With
        // the pool's 200 work items sleeping 30 s each, an unbounded wait lasts far longer.
        blocked.Should().BeLessThan(TimeSpan.FromSeconds(6));
    }
}
