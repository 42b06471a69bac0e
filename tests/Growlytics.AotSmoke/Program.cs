using System.Net;
using System.Net.Sockets;
using GrowlyticsSdk;
using GrowlyticsSdk.TestSupport;

// Runs as a native AOT executable: pushes an anonymous object (the README's quickstart) and a dictionary through the
// real client to a collector on 127.0.0.1, and exits 0 only if both sets of attributes arrive.
var port = FreePort();
using var listener = new HttpListener();
listener.Prefixes.Add($"http://127.0.0.1:{port}/");
listener.Start();
var received = new List<(string Name, string Value)>();
var receiving = Task.Run(() => ReceiveAsync(listener, received));

await using (var client = new GrowlyticsClient(new GrowlyticsOptions
{
    ApiKey = "aot-smoke-key",
    Endpoint = new Uri($"http://127.0.0.1:{port}/"),
    Protocol = GrowlyticsProtocol.Batch,
    FlushInterval = TimeSpan.FromMilliseconds(20),
    FlushOnProcessExit = false,
}))
{
    client.User.Push(new { city = "Pune", visits = 3 });
    client.User.Push(new Dictionary<string, object?> { ["plan"] = "pro" });
    await client.FlushAsync().WaitAsync(TimeSpan.FromSeconds(30));
    Console.WriteLine($"delivered={client.Statistics.Delivered} dropped={client.Statistics.Dropped} invalid={client.Statistics.InvalidInputs}");
}

listener.Stop();
await receiving;

string[] expected = ["city=Pune", "visits=3", "plan=pro"];
var got = received.Select(a => a.Name + "=" + a.Value).ToList();
Console.WriteLine("received: " + string.Join(", ", got));
var missing = expected.Except(got).ToList();
if (missing.Count > 0)
{
    Console.Error.WriteLine("AOT smoke FAILED: missing " + string.Join(", ", missing));
    return 1;
}

Console.WriteLine("AOT smoke passed.");
return 0;

static int FreePort()
{
    using var socket = new TcpListener(IPAddress.Loopback, 0);
    socket.Start();
    return ((IPEndPoint)socket.LocalEndpoint).Port;
}

static async Task ReceiveAsync(HttpListener listener, List<(string Name, string Value)> received)
{
    while (listener.IsListening)
    {
        HttpListenerContext context;
        try
        {
            context = await listener.GetContextAsync();
        }
        catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or InvalidOperationException)
        {
            return;
        }

        var key = context.Request.Headers["x-growlytics-key"];
        foreach (var message in WireBody.BatchMessages(await WireBody.ReadAllAsync(context.Request.InputStream)))
        {
            if (key == "aot-smoke-key")
            {
                received.AddRange(WireBody.Attributes(message).Select(a => (a.Key, a.Value)));
            }
        }

        context.Response.StatusCode = 200;
        context.Response.Close();
    }
}
