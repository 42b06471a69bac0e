using System.Globalization;
using GrowlyticsSdk;

// Usage: Growlytics.Storage.ChildProcess <storage directory>
// Pushes numbered updates ("n" = 0, 1, 2, ...) to a collector that is down, and after every flush prints
// "flushed <count>": the first <count> messages are on disk. Runs until killed.
var options = new GrowlyticsOptions
{
    ApiKey = "child-key",
    Endpoint = new Uri("http://127.0.0.1:1/"),
    StorageDirectory = args[0],
    MaxRetryAttempts = 0,
    FlushOnProcessExit = false,
};

var client = new GrowlyticsClient(options);
var attributes = new Dictionary<string, object?>(1);
for (var n = 0; ; n++)
{
    attributes["n"] = n;
    client.User.Push(attributes);
    if ((n + 1) % 50 == 0)
    {
        await client.FlushAsync();
        Console.WriteLine("flushed " + (n + 1).ToString(CultureInfo.InvariantCulture));
    }
}
