namespace GrowlyticsSdk.AotSmoke;

/// <summary>One message a scenario expects: its type, its user (or customer) id and exactly these <c>name:type=value</c> attributes.</summary>
internal sealed record Expected(string Type, string? UserId, params string[] Attributes);

/// <summary>Runs the scenarios and compares what the collector received with what each expects.</summary>
internal static class Scenario
{
    public static readonly TimeSpan WaitLimit = TimeSpan.FromSeconds(30);

    public static async Task RunAsync(string name, List<string> failures, Func<Task> scenario)
    {
        try
        {
            await scenario();
        }
        catch (Exception ex)
        {
            failures.Add($"{name}: {ex}");
        }
    }

    /// <summary>Checks that <paramref name="received"/> is exactly <paramref name="expected"/> (in any order), all sent to <paramref name="path"/>.</summary>
    public static void Check(List<string> failures, string name, IReadOnlyList<Received> received, string path, params Expected[] expected)
    {
        // Names and types only: the values stay out of the output, as the SDK keeps them out of its logs.
        Console.WriteLine($"{name}: received {received.Count} message(s): "
            + string.Join("; ", received.Select(r => $"{r.Type} {r.UserId ?? "(anonymous)"} [{Names(r.Attributes)}]")));
        var left = received.ToList();
        foreach (var message in expected)
        {
            var match = left.FindIndex(r => r.Type == message.Type && r.UserId == message.UserId && r.Attributes.SetEquals(message.Attributes));
            if (match < 0)
            {
                failures.Add($"{name}: no {message.Type} for {message.UserId ?? "an anonymous visitor"} with exactly [{Names(message.Attributes)}] and the expected values");
            }
            else
            {
                left.RemoveAt(match);
            }
        }

        failures.AddRange(left.Select(r => $"{name}: an unexpected {r.Type} for {r.UserId ?? "an anonymous visitor"} [{Names(r.Attributes)}]"));
        failures.AddRange(received.Where(r => r.Path != path).Select(r => $"{name}: a {r.Type} sent to {r.Path}, not {path}"));
    }

    /// <summary>Adds a failure unless <paramref name="condition"/> holds.</summary>
    public static void Require(List<string> failures, string name, bool condition, string what)
    {
        if (!condition)
        {
            failures.Add($"{name}: expected {what}");
        }
    }

    public static string Describe(GrowlyticsStatistics statistics) =>
        $"enqueued={statistics.Enqueued} delivered={statistics.Delivered} dropped={statistics.Dropped} pending={statistics.Pending} "
        + $"restored={statistics.Restored} retried={statistics.Retried} invalid={statistics.InvalidInputs}";

    private static string Names(IEnumerable<string> attributes) => string.Join(", ", attributes.Select(a => a[..a.IndexOf('=', StringComparison.Ordinal)]).Order(StringComparer.Ordinal));
}
