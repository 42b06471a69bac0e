using System.Diagnostics;
using System.Globalization;

namespace GrowlyticsSdk.Tests.Storage;

public sealed class ProcessKillTests : StorageTestBase
{
    [Fact]
    public async Task Kill_WhileRecordingWithCollectorDown_NextStartDeliversEveryFlushedMessage()
    {
        using var child = Process.Start(new ProcessStartInfo("dotnet")
        {
            ArgumentList = { ChildProgram.Path(), Directory },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        })!;
        var flushed = 0;
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            while (flushed < 6_000 && await child.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
            {
                if (line.StartsWith("flushed ", StringComparison.Ordinal))
                {
                    flushed = int.Parse(line.AsSpan(8), CultureInfo.InvariantCulture);
                }
            }
        }
        finally
        {
            // Mid-way: the child is still recording (and writing) when it dies; 6,000 messages span two segment files.
            child.Kill(entireProcessTree: true);
            await child.WaitForExitAsync();
        }

        flushed.Should().BeGreaterThanOrEqualTo(6_000, "the child reported its progress; stderr: " + await child.StandardError.ReadToEndAsync());
        var collector = new StorageCollector { Up = true };
        var client = NewClient(collector);
        await client.ShutdownAsync();

        var messages = collector.Messages;
        var numbers = collector.Numbers;
        numbers.Should().Contain(Enumerable.Range(0, flushed).Select(n => (long)n), "every message on disk before the kill is delivered");
        numbers.Should().BeSubsetOf(Enumerable.Range(0, numbers.Count).Select(n => (long)n), "nothing is delivered that the child did not record, and nothing in between is missing");
        messages.Select(m => m.MessageId).Distinct().Should().HaveCount(messages.Count, "the collector was down in the child's run, so nothing was in flight to send twice");
        client.Statistics.Restored.Should().Be(messages.Count);
    }
}
