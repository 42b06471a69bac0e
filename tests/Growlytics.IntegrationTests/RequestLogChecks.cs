using System.Diagnostics;

namespace GrowlyticsSdk.IntegrationTests;

/// <summary>What the collector's request log says about order, exclusivity and concurrency.</summary>
internal static class RequestLogChecks
{
    /// <summary>Options as a new user writes them: only the key and the endpoint.</summary>
    // Default options but the protocol: the engine figures are about the batch protocol (the fault collector's).
    public static GrowlyticsOptions Defaults(Uri endpoint) => new() { ApiKey = FaultyCollector.ApiKey, Endpoint = endpoint, Protocol = GrowlyticsProtocol.Batch };

    /// <summary>A 3-attribute update whose <c>n</c> numbers it.</summary>
    public static Dictionary<string, object?> ThreeAttributes(int n) => new() { ["n"] = n, ["plan"] = "pro", ["seats"] = 3 };

    /// <summary>
    /// Pairs of requests that carried messages of the same anonymous id and overlapped in time at the collector (one
    /// started before the other's answer was decided). Empty when each user's messages were in one request at a time.
    /// </summary>
    public static List<string> OverlapsPerUser(IReadOnlyList<RequestRecord> log)
    {
        var overlaps = new List<string>();
        var byUser = log
            .SelectMany(r => r.Messages.Where(m => m.AnonymousId is not null).Select(m => m.AnonymousId!).Distinct().Select(user => (user, r)))
            .GroupBy(x => x.user, x => x.r);
        foreach (var requests in byUser)
        {
            var ordered = requests.OrderBy(r => r.Start).ToList();
            var latestEnd = long.MinValue;
            RequestRecord? latest = null;
            foreach (var request in ordered)
            {
                if (latest is not null && request.Start < latestEnd)
                {
                    overlaps.Add($"requests {latest.Number} and {request.Number} (one user's messages in both)");
                }

                if (request.End > latestEnd)
                {
                    latestEnd = request.End;
                    latest = request;
                }
            }
        }

        return overlaps;
    }

    /// <summary>
    /// For each anonymous id, the <c>n</c> of its messages in the order they first reached the collector (requests that
    /// stored them, by start time; messages in request order), each message id once.
    /// </summary>
    public static Dictionary<string, List<int>> FirstDeliveriesPerUser(IReadOnlyList<RequestRecord> log)
    {
        var seen = new HashSet<string>();
        var result = new Dictionary<string, List<int>>();
        foreach (var request in log.Where(r => r.Status is 200 or 0).OrderBy(r => r.Start))
        {
            foreach (var message in request.Messages)
            {
                if (message.AnonymousId is { } user && message.N is { } n && seen.Add(message.MessageId))
                {
                    if (!result.TryGetValue(user, out var list))
                    {
                        result[user] = list = [];
                    }

                    list.Add(int.Parse(n, System.Globalization.CultureInfo.InvariantCulture));
                }
            }
        }

        return result;
    }

    /// <summary>The most requests the collector handled at once among requests that started in [from, to).</summary>
    public static int MaxConcurrency(IReadOnlyList<RequestRecord> log, long from = long.MinValue, long to = long.MaxValue)
    {
        var max = 0;
        foreach (var request in log.Where(r => r.Start >= from && r.Start < to))
        {
            max = Math.Max(max, log.Count(other => other.Start <= request.Start && other.End > request.Start));
        }

        return max;
    }

    public static long After(long timestamp, TimeSpan elapsed) => timestamp + (long)(elapsed.TotalSeconds * Stopwatch.Frequency);

    /// <summary>Checks that the statistics balance: enqueued = delivered + dropped + pending, with nothing pending.</summary>
    public static void ShouldBeSettledAndBalanced(this GrowlyticsStatistics statistics)
    {
        statistics.Pending.Should().Be(0, "everything is settled");
        statistics.Enqueued.Should().Be(statistics.Delivered + statistics.Dropped + statistics.Pending, "enqueued = delivered + dropped + pending");
        statistics.Dropped.Should().Be(statistics.DroppedByReason.Values.Sum(), "every drop has a reason");
    }
}
