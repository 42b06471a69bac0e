using System.Diagnostics;

namespace GrowlyticsSdk.IntegrationTests;

/// <summary>Client settings with small real-time knobs, and polling with a deadline instead of fixed sleeps.</summary>
internal static class TestSupport
{
    /// <summary>Generous: only a broken pipeline comes near it, so a slow machine does not fail the tests.</summary>
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    /// <summary>Gets the path of the test-only child program (Growlytics.Storage.ChildProcess), built with the tests.</summary>
    public static string ChildProgramPath()
    {
        // tests/Growlytics.IntegrationTests/bin/<Configuration>/<tfm>/ → tests/Growlytics.Storage.ChildProcess/bin/<Configuration>/<tfm>/
        var output = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var configuration = output.Parent!.Name;
        var tests = output.Parent.Parent!.Parent!.Parent!.FullName;
        var path = Path.Combine(tests, "Growlytics.Storage.ChildProcess", "bin", configuration, output.Name, "Growlytics.Storage.ChildProcess.dll");
        File.Exists(path).Should().BeTrue("the child program is built with the tests");
        return path;
    }

    public static GrowlyticsOptions FastOptions(Uri endpoint) => new()
    {
        ApiKey = FaultyCollector.ApiKey,

        // The fault collector speaks the batch protocol; the REST protocol has tests of its own.
        Protocol = GrowlyticsProtocol.Batch,
        Endpoint = endpoint,
        FlushInterval = TimeSpan.FromMilliseconds(50),
        // Long enough that a busy machine does not time out a healthy request (which would add retries and duplicates).
        RequestTimeout = TimeSpan.FromSeconds(2),
        RetryBaseDelay = TimeSpan.FromMilliseconds(10),
        MaxRetryDelay = TimeSpan.FromMilliseconds(150),
        MaxRetryAttempts = 50,
        RetryBudget = TimeSpan.FromSeconds(20),
        CircuitBreakDuration = TimeSpan.FromMilliseconds(500),
        ShutdownTimeout = TimeSpan.FromSeconds(20),
        FlushOnProcessExit = false,
    };

    public static IReadOnlyDictionary<string, object?> Number(int n) => new Dictionary<string, object?> { ["n"] = n };

    /// <summary>Waits until <paramref name="condition"/> holds, checking every few milliseconds; fails after <see cref="Deadline"/>.</summary>
    public static async Task EventuallyAsync(Func<bool> condition, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > Deadline)
            {
                throw new TimeoutException($"Timed out after {Deadline.TotalSeconds} s waiting until {what}.");
            }

            await Task.Delay(10);
        }
    }

    /// <summary>Flushes, failing the test (not hanging it) if delivery does not finish by the deadline.</summary>
    public static Task FlushAsync(GrowlyticsClient client) => client.FlushAsync().WaitAsync(Deadline);

    /// <summary>Written to storage, not delivered (<see cref="GrowlyticsClient.FlushToStorageAsync"/>), within the deadline.</summary>
    public static Task StoredAsync(GrowlyticsClient client) => client.FlushToStorageAsync().WaitAsync(Deadline);

    /// <summary>
    /// Checks what every fault test promises: each message stored exactly once with a 200, extra copies only from
    /// requests the client got no answer to, and the client's figures equal to the collector's.
    /// </summary>
    public static void ShouldHaveDeliveredExactly(this FaultyCollector collector, GrowlyticsClient client, int messages)
    {
        collector.Acknowledged.Count.Should().Be(messages, "every message reaches the collector");
        collector.Acknowledged.Values.Should().OnlyContain(n => n == 1, "a message the client saw acknowledged is never sent again");
        var statistics = client.Statistics;
        statistics.Enqueued.Should().Be(messages);
        statistics.Delivered.Should().Be(messages, "the client counts what the collector acknowledged");
        statistics.Dropped.Should().Be(0);
        statistics.Pending.Should().Be(0);
        statistics.BatchesSent.Should().Be(collector.AcknowledgedBatches);
    }
}
