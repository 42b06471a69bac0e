using GrowlyticsSdk;
using Microsoft.Extensions.Logging;

namespace GrowlyticsSamples.Quickstart;

/// <summary>The quickstart's three modes: local (embedded collector), remote (a real endpoint) and serve (collector only).</summary>
public static class QuickstartApp
{
    /// <summary>The key the SDK sends to the local collector, which only checks that one is present.</summary>
    public const string LocalApiKey = "local-demo-key";

    /// <summary>The protocol the flow runs on: the SDK's default.</summary>
    public static GrowlyticsProtocol Protocol { get; } = new GrowlyticsOptions().Protocol;

    /// <summary>Starts a collector on 127.0.0.1, runs the flow against it and prints what arrived.</summary>
    /// <returns>
    /// 0 when the collector received the flow as the protocol sends it (REST: one upsert carrying the anonymous push and the
    /// login; Batch: the update, the login and the logout), else 1.
    /// </returns>
    public static async Task<int> RunLocalAsync(TextWriter output)
    {
        await using var collector = await LocalCollector.StartAsync();
        output.WriteLine($"Local collector listening on {collector.Endpoint}");

        var statistics = await RunFlowAsync(LocalApiKey, collector.Endpoint);

        output.WriteLine($"The collector received {collector.Requests.Count} request(s):");
        foreach (var request in collector.Requests)
        {
            Report.WriteRequest(output, request);
        }

        if (Protocol == GrowlyticsProtocol.Rest)
        {
            Report.WriteStatistics(output, statistics);
            if (QuickstartFlow.WasReceived(collector.Customers))
            {
                output.WriteLine("OK: one upsert carried the anonymous city and the login's profile (REST has no logout request).");
                return 0;
            }

            output.WriteLine("FAILED: expected one upsert for the user with the anonymous and the login's attributes.");
            return 1;
        }

        var batches = collector.Batches;
        output.WriteLine($"The collector received {batches.Sum(b => b.Messages?.Count ?? 0)} message(s) in {batches.Count} batch(es):");
        foreach (var batch in batches)
        {
            Report.WriteBatch(output, batch);
        }

        Report.WriteStatistics(output, statistics);
        if (QuickstartFlow.WasReceived(collector.Messages))
        {
            output.WriteLine("OK: the anonymous update, the login and the logout arrived.");
            return 0;
        }

        output.WriteLine("FAILED: expected an anonymous update, a login and a logout.");
        return 1;
    }

    /// <summary>Runs the flow against a real endpoint and prints the client's statistics.</summary>
    /// <returns>0 when the flow's messages were delivered (REST: the push and the login, in one upsert; Batch: all three), else 1.</returns>
    public static async Task<int> RunRemoteAsync(string apiKey, string? endpoint, TextWriter output)
    {
        Uri? uri = null;
        if (!string.IsNullOrWhiteSpace(endpoint) && !Uri.TryCreate(endpoint, UriKind.Absolute, out uri))
        {
            output.WriteLine("GROWLYTICS_ENDPOINT is not an absolute URI.");
            return 2;
        }

        uri ??= new GrowlyticsOptions().Endpoint;
        output.WriteLine($"Sending to {uri}");
        var statistics = await RunFlowAsync(apiKey, uri);
        Report.WriteStatistics(output, statistics);
        return statistics.Delivered == QuickstartFlow.ExpectedDelivered(Protocol) ? 0 : 1;
    }

    /// <summary>Runs only the collector on 127.0.0.1:<paramref name="port"/>, printing each request it receives (accepted or not), until Ctrl+C.</summary>
    public static async Task<int> ServeAsync(int port, TextWriter output)
    {
        LocalCollector collector;
        try
        {
            collector = await LocalCollector.StartAsync(port, onRequest: request =>
            {
                lock (output)
                {
                    Report.WriteRequest(output, request);
                }
            });
        }
        catch (IOException ex)
        {
            output.WriteLine($"Could not listen on 127.0.0.1:{port}: {ex.Message}");
            return 1;
        }

        await using (collector)
        {
            output.WriteLine($"Collector listening on {collector.Endpoint} (POST rest-api/customer and events/sdk-batch). Press Ctrl+C to stop.");
            await collector.WaitForShutdownAsync();
        }

        return 0;
    }

    private static async Task<GrowlyticsStatistics> RunFlowAsync(string apiKey, Uri endpoint)
    {
        // SDK warnings and errors (retries, drops) go to the console; they never contain the key or attribute values.
        using var logging = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning));
        var client = Growlytics.Initialize(apiKey, o =>
        {
            o.Endpoint = endpoint;
            o.LoggerFactory = logging;
        });
        try
        {
            QuickstartFlow.Run();
        }
        finally
        {
            // Delivers what is queued (within ShutdownTimeout) and releases the client.
            await Growlytics.ShutdownAsync();
        }

        return client.Statistics;
    }
}
