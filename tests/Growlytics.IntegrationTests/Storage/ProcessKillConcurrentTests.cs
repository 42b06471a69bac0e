using System.Diagnostics;
using System.Globalization;
using GrowlyticsSdk.Storage;
using static GrowlyticsSdk.IntegrationTests.TestSupport;

namespace GrowlyticsSdk.IntegrationTests.Storage;

/// <summary>kill -9 of a process with storage on and several requests in flight, then a new client on the same folder.</summary>
[Collection(EngineCollection.Name)]
public sealed class ProcessKillConcurrentTests
{
    [Fact]
    public async Task Kill_WithConcurrentRequestsInFlight_NextClientDeliversEveryFlushedMessageDuplicatesBounded()
    {
        const int users = 200, total = 50_000, killAfterDelivered = 30_000;
        using var folder = new TempFolder();
        var directory = folder.Sub("storage");
        await using var collector = await FaultyCollector.StartAsync();

        // Slow answers keep requests in flight (up to 8 at once) when the child dies.
        collector.Script = _ => Fault.Delayed(TimeSpan.FromMilliseconds(100));
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { ChildProgramPath(), "concurrent", directory, collector.Endpoint.ToString(), users.ToString(CultureInfo.InvariantCulture), total.ToString(CultureInfo.InvariantCulture) },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["GROWLYTICS_TEST_KEY"] = FaultyCollector.ApiKey;
        using var child = Process.Start(start)!;
        var flushed = 0;
        int deliveredAtKill;
        long killedAt;
        try
        {
            using var timeout = new CancellationTokenSource(Deadline);
            while (await child.StandardOutput.ReadLineAsync(timeout.Token) is { } line && line != "done")
            {
                if (line.StartsWith("flushed ", StringComparison.Ordinal))
                {
                    flushed = int.Parse(line.AsSpan(8), CultureInfo.InvariantCulture);
                }
            }

            // Mid-way through delivery: everything is on disk, part of it delivered, requests in flight. From here on
            // the collector holds every request for 5 s, so one that arrives is still on the wire when the child dies
            // however slowly this test's own code runs meanwhile.
            await EventuallyAsync(() => collector.Acknowledged.Count >= killAfterDelivered, "the child delivered part of its messages");
            var held = 0;
            collector.Script = _ =>
            {
                Interlocked.Increment(ref held);
                return Fault.Delayed(TimeSpan.FromSeconds(5));
            };
            await EventuallyAsync(() => Volatile.Read(ref held) > 0, "a request of the child is held on the wire");
        }
        finally
        {
            deliveredAtKill = collector.Acknowledged.Count;
            killedAt = Stopwatch.GetTimestamp();
            child.Kill(entireProcessTree: true);
            await child.WaitForExitAsync();
        }

        flushed.Should().Be(total, "the child reported every flush; stderr: " + await child.StandardError.ReadToEndAsync());
        deliveredAtKill.Should().BeLessThan(total, "the child was killed before it delivered everything");
        // A held request is logged once it ends: aborted by the kill, or at the latest when its 5 s are up.
        await EventuallyAsync(() => collector.RequestLog.Any(r => r.End > killedAt || r.Status == 0), "a request that was in flight when the child died ended");
        var childRequests = collector.RequestLog;

        // Messages the collector acknowledged to the child in the last second before the kill: five commit intervals
        // (StorageCommitInterval, 200 ms), a margin for the child's writer running late on a loaded machine.
        var oneSecond = Stopwatch.Frequency;
        var settledInLastCommits = childRequests.Where(r => r.Status == 200 && r.End > killedAt - oneSecond && r.End <= killedAt).Sum(r => r.Messages.Count);

        collector.Script = _ => Fault.None;
        var options = FastOptions(collector.Endpoint);
        options.StorageDirectory = directory;
        options.MaxConcurrentRequests = 8;
        await using (var client = new GrowlyticsClient(options))
        {
            await EventuallyAsync(() => client.Statistics.Restored > 0, "the stored messages were restored");
            await EventuallyAsync(() => client.Statistics is { Pending: 0 } s && s.Delivered + s.Dropped == s.Restored, "the restored messages were delivered");
            client.Statistics.Dropped.Should().Be(0);
        }

        var received = collector.Acknowledged.Keys.Concat(collector.Ambiguous.Keys).ToHashSet();
        received.Select(id => int.Parse(collector.Numbers[id], CultureInfo.InvariantCulture)).Should().Contain(Enumerable.Range(0, flushed), "every message on disk before the kill is delivered at least once");
        var twice = received.Count(id => collector.Acknowledged.GetValueOrDefault(id) + collector.Ambiguous.GetValueOrDefault(id) > 1);

        // The bound: settled records above the saved acknowledgement and outside the saved settled runs are sent again.
        // Reading stops ReadWindow records past the acknowledged position, and what is saved lags what is settled by what
        // one commit interval settles.
        var bound = DurableQueue.ReadWindow + settledInLastCommits;
        twice.Should().BeLessThanOrEqualTo(bound, "at most ReadWindow ({0}) + what one commit interval settles ({1}) is sent twice", DurableQueue.ReadWindow, settledInLastCommits);
        deliveredAtKill.Should().BeGreaterThan(bound, "the child delivered more than the bound, so the bound is not met trivially");
    }
}
