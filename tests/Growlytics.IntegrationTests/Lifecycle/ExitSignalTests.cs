using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using static GrowlyticsSdk.IntegrationTests.TestSupport;

namespace GrowlyticsSdk.IntegrationTests.Lifecycle;

/// <summary>
/// A console app that uses the facade, ended by a signal: from .NET 10 on, SIGTERM and SIGHUP end a process without
/// raising AppDomain.ProcessExit, so without a handler of its own the facade's client lost what it had not sent yet.
/// Signals are sent with kill(1): on Windows, which has no such signals to send to a console app from here, these tests
/// end at once.
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
            return;
        }

        const int count = 3_000;
        await using var collector = await FaultyCollector.StartAsync();

        // Slow answers: one user's 30 requests go one after another, so when the signal comes most messages are queued.
        collector.Script = _ => Fault.Delayed(TimeSpan.FromMilliseconds(60));
        using var child = new SignalledChild(collector, count.ToString(CultureInfo.InvariantCulture));
        int deliveredAtSignal;
        try
        {
            await child.Pushed.WaitAsync(Deadline);
            deliveredAtSignal = collector.Acknowledged.Count;
            await child.SignalAsync(signal);

            // The flush on the signal may take up to the child's ShutdownTimeout (20 s) on a busy machine; a child still
            // running after twice the usual deadline says what it printed.
            var exited = child.Process.WaitForExitAsync();
            if (await Task.WhenAny(exited, Task.Delay(Deadline * 2)) != exited)
            {
                throw new TimeoutException($"The child still runs {Deadline.TotalSeconds * 2:0} s after SIG{signal}; its output: {string.Join(" | ", child.Lines)}; stderr: {string.Join(" | ", child.Errors)}; delivered {collector.Acknowledged.Count}.");
            }
        }
        finally
        {
            child.KillIfRunning();
        }

        deliveredAtSignal.Should().BeLessThan(count / 2, "most of the messages were still queued when the signal came");
        child.Process.ExitCode.Should().Be(exitCode, "the signal still ends the process, once the client has flushed; stderr: " + string.Join(" | ", child.Errors));
        collector.Acknowledged.Count.Should().Be(count, "the facade's client delivered everything it had accepted before the process ended");
        child.Lines.Should().Contain("log 2018", "the SDK says it flushed on the signal");
    }

    [Theory]
    [InlineData("throw")]
    [InlineData("throw-in-dropped-handler")]
    public async Task UnhandledException_EndingAConsoleApp_DeliversWhatItAcceptedBeforeItEnds(string how)
    {
        // "throw-in-dropped-handler": thrown after an await in an async void MessageDropped handler, whose async flow
        // says "in a handler" (where Dispose returns at once, so as not to wait for the handler itself).
        const int count = 3_000;
        await using var collector = await FaultyCollector.StartAsync();

        // An unhandled exception raises no ProcessExit: without a handler of the SDK's the queued messages were lost,
        // counted nowhere.
        collector.Script = _ => Fault.Delayed(TimeSpan.FromMilliseconds(60));
        using var child = new SignalledChild(collector, count.ToString(CultureInfo.InvariantCulture), how);
        try
        {
            await child.Pushed.WaitAsync(Deadline);
            var exited = child.Process.WaitForExitAsync();
            if (await Task.WhenAny(exited, Task.Delay(Deadline * 2)) != exited)
            {
                throw new TimeoutException($"The child still runs {Deadline.TotalSeconds * 2:0} s after its exception; its output: {string.Join(" | ", child.Lines)}; delivered {collector.Acknowledged.Count}.");
            }
        }
        finally
        {
            child.KillIfRunning();
        }

        child.Process.ExitCode.Should().NotBe(0, "the exception still ends the process, once the client has flushed");
        child.Errors.Should().Contain(l => l.Contains("The app crashes.", StringComparison.Ordinal), "the runtime reports the app's exception as usual");
        collector.Acknowledged.Count.Should().Be(count, "the facade's client delivered everything it had accepted before the exception ended the process");
    }

    [Fact]
    public async Task Signal_CancelledByAHandlerRegisteredLater_LeavesTheClientAloneAndTheProcessRunning()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        await using var collector = await FaultyCollector.StartAsync();
        using var child = new SignalledChild(collector, "10", "host-cancels");
        try
        {
            await child.Pushed.WaitAsync(Deadline);
            await child.SignalAsync("TERM");
            await child.Cancelled.WaitAsync(Deadline);
            await Task.Delay(500);
            child.Process.HasExited.Should().BeFalse("the later handler kept the process running");
        }
        finally
        {
            child.KillIfRunning();
            await child.Process.WaitForExitAsync();
        }

        child.Lines.Should().NotContain(l => l == "log 2018" || l == "log 2019", "the handler registered later ran first and cancelled: the SDK's was not called");
    }

    /// <summary>The child program in its "signal" mode, its output lines collected as they come.</summary>
    private sealed class SignalledChild : IDisposable
    {
        private readonly TaskCompletionSource _pushed = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _cancelled = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public SignalledChild(FaultyCollector collector, params string[] arguments)
        {
            // A process started with SIGHUP ignored (under nohup, as some runners start their jobs) passes that on to its
            // children, and .NET then never sees the signal: the child is started with the default disposition back,
            // through env(1), which execs it (same process id).
            var hupIgnored = SigHupIgnored();
            var start = new ProcessStartInfo(hupIgnored ? "env" : "dotnet")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var argument in (string[])[.. (hupIgnored ? (string[])["--default-signal=HUP", "dotnet"] : []), ChildProgramPath(), "signal", collector.Endpoint.ToString(), .. arguments])
            {
                start.ArgumentList.Add(argument);
            }

            start.Environment["GROWLYTICS_TEST_KEY"] = FaultyCollector.ApiKey;
            Process = Process.Start(start)!;
            Process.OutputDataReceived += (_, e) =>
            {
                if (e.Data is not { } line)
                {
                    return;
                }

                Lines.Enqueue(line);
                if (line == "pushed")
                {
                    _pushed.TrySetResult();
                }
                else if (line == "cancelled")
                {
                    _cancelled.TrySetResult();
                }
            };
            Process.BeginOutputReadLine();

            // Read as it comes, so a child writing to stderr never blocks on a full pipe.
            Process.ErrorDataReceived += (_, e) =>
            {
                if (e.Data is { } line)
                {
                    Errors.Enqueue(line);
                }
            };
            Process.BeginErrorReadLine();
        }

        public ConcurrentQueue<string> Errors { get; } = new();

        public Process Process { get; }

        public ConcurrentQueue<string> Lines { get; } = new();

        public Task Pushed => _pushed.Task;

        public Task Cancelled => _cancelled.Task;

        public async Task SignalAsync(string signal)
        {
            using var kill = Process.Start("kill", ["-" + signal, Process.Id.ToString(CultureInfo.InvariantCulture)]);
            await kill.WaitForExitAsync();
            kill.ExitCode.Should().Be(0, "kill(1) sent the signal");
        }

        public void KillIfRunning()
        {
            if (!Process.HasExited)
            {
                Process.Kill();
            }
        }

        public void Dispose() => Process.Dispose();

        // Linux: bit 0 of SigIgn in /proc/self/status is SIGHUP. Elsewhere taken as not ignored.
        private static bool SigHupIgnored()
        {
            try
            {
                var line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("SigIgn:", StringComparison.Ordinal));
                return line is not null && (ulong.Parse(line["SigIgn:".Length..].Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture) & 1) != 0;
            }
            catch (IOException)
            {
                return false;
            }
        }
    }
}
