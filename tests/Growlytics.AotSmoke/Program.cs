using GrowlyticsSdk.AotSmoke;

// Runs as a native AOT executable the paths a real AOT app takes, against a collector on 127.0.0.1 that speaks both
// wire protocols, and exits 0 only if every expected message and attribute arrived (and nothing else):
// - a client built from GrowlyticsOptions, Batch protocol: an anonymous object and a dictionary;
// - a generic host, AddGrowlytics(configuration.GetSection("Analytics")) bound from appsettings.json plus an in-memory
//   source (a time span, an enum, a number, StorageDirectory), Batch protocol: Customers.UpdateAsync with a record, the
//   facade in a scope (push, identify, push, logout);
// - the static facade, Growlytics.Initialize with the default protocol (Rest) and StorageDirectory: calls made during an
//   outage are kept on disk (queue and session file), and a second client on the same folder restores and delivers them.
var failures = new List<string>();
var root = Directory.CreateTempSubdirectory("growlytics-aot-");
try
{
    await using var collector = new SmokeCollector();
    await Scenario.RunAsync("client/Batch", failures, () => Scenarios.ClientBatchAsync(collector, failures));
    await Scenario.RunAsync("host/Batch", failures, () => Scenarios.HostBatchAsync(collector, root.FullName, failures));
    await Scenario.RunAsync("facade/Rest", failures, () => Scenarios.FacadeRestAsync(collector, root.FullName, failures));
    failures.AddRange(collector.Problems.Select(p => "collector: " + p));
}
finally
{
    root.Delete(recursive: true);
}

if (failures.Count > 0)
{
    Console.Error.WriteLine("AOT smoke FAILED:");
    foreach (var failure in failures)
    {
        Console.Error.WriteLine("  " + failure);
    }

    return 1;
}

Console.WriteLine("AOT smoke passed.");
return 0;
