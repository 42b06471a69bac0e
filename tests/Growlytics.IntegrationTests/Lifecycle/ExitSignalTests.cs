using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using static GrowlyticsSdk.IntegrationTests.TestSupport;

namespace GrowlyticsSdk.IntegrationTests.Lifecycle;

/// <summary>
/// A console app that uses the facade, ended by a signal: from .NET 10 on, SIGTERM and SIGHUP end a process without
/// raising AppDomain.ProcessExit, so without a handler of its own the facade's client lost what it had not sent yet.
/// </summary>
[Collection(EngineCollection.Name)]
public sealed class ExitSignalTests
{
    [Theory]
    [InlineData("TERM", 143)]
    [InlineData("HUP", 129)]
    public async Task Signal_EndingAConsoleApp_DeliversWhatItAcceptedBeforeItEnds(string signal, int exitCode)
    {
        if (OperatingSystem.IsWindows())
        {
            // Sent with kill(1); Windows has no such signals to send to a console app from here.
            return;
        }

        const int count = 3_000;
        await using var collector = await FaultyCollector.StartAsync();

        // Slow answers: one user's 30 requests go one after another, so when the signal comes most messages are queued.
        collector.Script = _ => Fault.Delayed(TimeSpan.FromMilliseconds(60));
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { ChildProgramPath(), "signal", collector.Endpoint.ToString(), count.ToString(CultureInfo.InvariantCulture) },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["GROWLYTICS_TEST_KEY"] = FaultyCollector.ApiKey;
        using var child = Process.Start(start)!;
        var lines = new ConcurrentQueue<string>();
        var pushed = new TaskCompletionSource();
        child.OutputDataReceived += (_, e) =>
        {
            if (e.Data is { } line)
            {
                lines.Enqueue(line);
                if (line == "pushed")
                {
                    pushed.TrySetResult();
                }
            }
        };
        child.BeginOutputReadLine();
        int deliveredAtSignal;
        try
        {
            await pushed.Task.WaitAsync(Deadline);
            deliveredAtSignal = collector.Acknowledged.Count;
            using (var kill = Process.Start("kill", ["-" + signal, child.Id.ToString(CultureInfo.InvariantCulture)]))
            {
                await kill.WaitForExitAsync();
            }

            await child.WaitForExitAsync().WaitAsync(Deadline);
        }
        finally
        {
            if (!child.HasExited)
            {
                child.Kill();
            }
        }

        deliveredAtSignal.Should().BeLessThan(count / 2, "most of the messages were still queued when the signal came");
        child.ExitCode.Should().Be(exitCode, "the signal still ends the process, once the client has flushed; stderr: " + await child.StandardError.ReadToEndAsync());
        collector.Acknowledged.Count.Should().Be(count, "the facade's client delivered everything it had accepted before the process ended");
        lines.Should().Contain("log 2018", "the SDK says it flushed on the signal");
    }

    [Fact]
    public async Task Signal_CancelledByAHandlerRegisteredLater_LeavesTheClientAloneAndTheProcessRunning()
    {
        if (OperatingSystem.IsWindows())
        {
            // Sent with kill(1), as above.
            return;
        }

        await using var collector = await FaultyCollector.StartAsync();
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { ChildProgramPath(), "signal", collector.Endpoint.ToString(), "10", "host-cancels" },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["GROWLYTICS_TEST_KEY"] = FaultyCollector.ApiKey;
        using var child = Process.Start(start)!;
        var lines = new ConcurrentQueue<string>();
        var pushed = new TaskCompletionSource();
        var cancelled = new TaskCompletionSource();
        child.OutputDataReceived += (_, e) =>
        {
            if (e.Data is { } line)
            {
                lines.Enqueue(line);
                if (line == "pushed")
                {
                    pushed.TrySetResult();
                }
                else if (line == "cancelled")
                {
                    cancelled.TrySetResult();
                }
            }
        };
        child.BeginOutputReadLine();
        try
        {
            await pushed.Task.WaitAsync(Deadline);
            using (var kill = Process.Start("kill", ["-TERM", child.Id.ToString(CultureInfo.InvariantCulture)]))
            {
                await kill.WaitForExitAsync();
            }

            await cancelled.Task.WaitAsync(Deadline);
            await Task.Delay(500);
            child.HasExited.Should().BeFalse("the later handler kept the process running");
        }
        finally
        {
            child.Kill();
            await child.WaitForExitAsync();
        }

        lines.Should().NotContain(l => l == "log 2018" || l == "log 2019", "the handler registered later ran first and cancelled: the SDK's was not called");
    }

    private static string ChildProgramPath()
    {
        // tests/Growlytics.IntegrationTests/bin/<Configuration>/<tfm>/ → tests/Growlytics.Storage.ChildProcess/bin/<Configuration>/<tfm>/
        var output = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var configuration = output.Parent!.Name;
        var tests = output.Parent.Parent!.Parent!.Parent!.FullName;
        var path = Path.Combine(tests, "Growlytics.Storage.ChildProcess", "bin", configuration, output.Name, "Growlytics.Storage.ChildProcess.dll");
        File.Exists(path).Should().BeTrue("the child program is built with the tests");
        return path;
    }
}
