// A console app that behaves like a desktop app: one user on one device, a session that survives restarts,
// and messages that wait on disk while the collector is unreachable.
//
//   dotnet run --project samples/Growlytics.Samples.Desktop -- login alice
//   dotnet run --project samples/Growlytics.Samples.Desktop -- push city=Pune plan=pro
//   dotnet run --project samples/Growlytics.Samples.Desktop -- logout
//   dotnet run --project samples/Growlytics.Samples.Desktop -- status
//
// It sends to GROWLYTICS_ENDPOINT (default http://127.0.0.1:5080/, the quickstart's collector:
// `dotnet run --project samples/Growlytics.Samples.Quickstart -- --serve 5080`) and keeps its files in
// GROWLYTICS_STORAGE (default: the per-user application-data folder).
using GrowlyticsSdk;

var endpoint = new Uri(Environment.GetEnvironmentVariable("GROWLYTICS_ENDPOINT") ?? "http://127.0.0.1:5080/");
var storage = Environment.GetEnvironmentVariable("GROWLYTICS_STORAGE")
    ?? GrowlyticsOptions.GetDefaultStorageDirectory("GrowlyticsDesktopSample");
var apiKey = Environment.GetEnvironmentVariable("GROWLYTICS_API_KEY") ?? "desktop-sample-key";

var client = Growlytics.Initialize(apiKey, o =>
{
    o.Endpoint = endpoint;
    o.StorageDirectory = storage;
    o.ShutdownTimeout = TimeSpan.FromSeconds(3);
});

var user = Growlytics.User;
Console.WriteLine($"storage:   {storage}");
Console.WriteLine($"restored:  anonymous id {user.AnonymousId}, {(user.IsIdentified ? "logged in as " + user.UserId : "not logged in")}");

const string Usage = "usage: login USER_ID | push NAME=VALUE... | logout | status";
var command = args.Length > 0 ? args[0] : "status";
try
{
    switch (command)
    {
        case "login" when args.Length > 1:
            user.Identify(args[1], new UserAttributes { ["lastLoginFrom"] = "desktop sample" });
            break;
        case "push" when args.Length > 1:
            user.Push(ParseAttributes(args.AsSpan(1)));
            break;
        case "logout":
            user.Logout();
            break;
        case "status":
            break;
        default:
            Console.Error.WriteLine(Usage);
            await Growlytics.ShutdownAsync();
            return 2;
    }
}
catch (ArgumentException ex)
{
    // Bad input is refused at the call (GrowlyticsValidationException names the attribute and the rule, never the
    // value) and changes nothing: nothing was queued or stored.
    Console.Error.WriteLine(ex.Message);
    Console.Error.WriteLine(Usage);
    await Growlytics.ShutdownAsync();
    return 2;
}

Console.WriteLine($"now:       anonymous id {user.AnonymousId}, {(user.IsIdentified ? "logged in as " + user.UserId : "not logged in")}");

// Delivers what it can within ShutdownTimeout. With storage on, anything the collector did not accept stays on
// disk and is sent by the next run.
await Growlytics.ShutdownAsync();
var stats = client.Statistics;
Console.WriteLine($"delivered: {stats.Delivered}, pending: {stats.Pending}, dropped: {stats.Dropped}");
return 0;

static Dictionary<string, object?> ParseAttributes(ReadOnlySpan<string> pairs)
{
    var attributes = new Dictionary<string, object?>(StringComparer.Ordinal);
    foreach (var pair in pairs)
    {
        var split = pair.IndexOf('=', StringComparison.Ordinal);
        if (split <= 0)
        {
            throw new ArgumentException("Expected NAME=VALUE for each attribute after 'push'.");
        }

        var value = pair[(split + 1)..];
        attributes[pair[..split]] = double.TryParse(value, System.Globalization.CultureInfo.InvariantCulture, out var number) ? number : value;
    }

    return attributes;
}
