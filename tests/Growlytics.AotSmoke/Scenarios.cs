using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using static GrowlyticsSdk.AotSmoke.Scenario;

namespace GrowlyticsSdk.AotSmoke;

/// <summary>A customer's attributes as an app declares them: a record, read through <c>UpdateAsync&lt;T&gt;</c>.</summary>
internal sealed record CustomerProfile(string City, int Orders, bool Vip, DateTime Since);

/// <summary>The scenarios. Each uses its own API key, so the collector tells their messages apart.</summary>
internal static class Scenarios
{
    private const string BatchPath = "/events/sdk-batch";
    private const string RestPath = "/rest-api/customer";

    /// <summary>A client built from options (the README's quickstart objects), Batch protocol.</summary>
    public static async Task ClientBatchAsync(SmokeCollector collector, List<string> failures)
    {
        const string Name = "client/Batch";
        const string Key = "aot-client-key";
        await using (var client = new GrowlyticsClient(new GrowlyticsOptions
        {
            ApiKey = Key,
            Endpoint = collector.Endpoint,
            Protocol = GrowlyticsProtocol.Batch,
            FlushInterval = TimeSpan.FromMilliseconds(20),
            FlushOnProcessExit = false,
        }))
        {
            client.User.Push(new { city = "Pune", visits = 3 });
            client.User.Push(new Dictionary<string, object?> { ["plan"] = "pro" });
            await client.FlushAsync().WaitAsync(WaitLimit);
            Console.WriteLine($"{Name}: {Describe(client.Statistics)}");
            Require(failures, Name, client.Statistics is { Delivered: 2, Dropped: 0, Pending: 0 }, "2 delivered, none dropped or pending");
        }

        Check(failures, Name, collector.ReceivedWith(Key), BatchPath,
            new("update", null, "city:string=Pune", "visits:number=3"),
            new("update", null, "plan:string=pro"));
    }

    /// <summary>
    /// A generic host whose options come from configuration: appsettings.json in the content root, and the endpoint
    /// (known only at run time) from an in-memory source, bound through <c>AddGrowlytics(configuration.GetSection(...))</c>.
    /// </summary>
    public static async Task HostBatchAsync(SmokeCollector collector, string root, List<string> failures)
    {
        const string Name = "host/Batch";
        const string Key = "aot-host-key";
        var contentRoot = Directory.CreateDirectory(Path.Combine(root, "host"));
        var storage = Path.Combine(root, "host-storage");
        await File.WriteAllTextAsync(Path.Combine(contentRoot.FullName, "appsettings.json"), AppSettings(Key, storage));

        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = [], ContentRootPath = contentRoot.FullName });
        builder.Configuration.AddInMemoryCollection([new("Analytics:Endpoint", collector.Endpoint.ToString())]);
        builder.Services.AddGrowlytics(builder.Configuration.GetSection("Analytics"));
        using var host = builder.Build();

        var options = host.Services.GetRequiredService<IOptions<GrowlyticsOptions>>().Value;
        Require(failures, Name, options.Protocol == GrowlyticsProtocol.Batch, "Protocol Batch from the configuration");
        Require(failures, Name, options.FlushInterval == TimeSpan.FromMilliseconds(50), "FlushInterval 50 ms from the configuration");
        Require(failures, Name, options.MaxBatchSize == 2, "MaxBatchSize 2 from the configuration");
        Require(failures, Name, options.ShutdownTimeout == TimeSpan.FromSeconds(10), "ShutdownTimeout 10 s from the configuration");
        Require(failures, Name, options.StorageDirectory == storage, "StorageDirectory from the configuration");
        Require(failures, Name, options.Endpoint == collector.Endpoint, "Endpoint from the in-memory configuration");
        Require(failures, Name, options.SessionMode == SessionMode.RequireScope, "SessionMode RequireScope, a host's default");

        await host.StartAsync().WaitAsync(WaitLimit);
        var client = host.Services.GetRequiredService<GrowlyticsClient>();
        Require(failures, Name, ReferenceEquals(Growlytics.Client, client), "the host's client to be the facade's");

        await client.Customers.UpdateAsync("aot-customer-7", new CustomerProfile("Pune", 42, true, new DateTime(2025, 11, 28, 14, 5, 9, DateTimeKind.Utc)));
        using (Growlytics.BeginScope())
        {
            Growlytics.User.Push(new { theme = "dark" });
            Growlytics.User.Identify("aot-host-user", new { name = "Asha Rao", email = "asha@example.com", plan = "pro" });
            Growlytics.User.Push(new Dictionary<string, object?> { ["visits"] = 4 });
            Growlytics.User.Logout();
        }

        await Growlytics.FlushAsync().WaitAsync(WaitLimit);
        Console.WriteLine($"{Name}: {Describe(client.Statistics)}");
        Require(failures, Name, client.Statistics is { Delivered: 5, Dropped: 0, Pending: 0 }, "5 delivered, none dropped or pending");
        Require(failures, Name, Directory.Exists(storage) && Directory.EnumerateFiles(storage, "queue*").Any(), "the queue's files in StorageDirectory");

        await host.StopAsync().WaitAsync(WaitLimit);
        Require(failures, Name, !Growlytics.IsInitialized, "the facade to have no client once the host stopped");

        var received = collector.ReceivedWith(Key);
        Check(failures, Name, received, BatchPath,
            new("update", "aot-customer-7", "City:string=Pune", "Orders:number=42", "Vip:boolean=true", "Since:date=2025-11-28 14:05:09"),
            new("update", null, "theme:string=dark"),
            new("login", "aot-host-user", "name:string=Asha Rao", "email:string=asha@example.com", "plan:string=pro"),
            new("update", "aot-host-user", "visits:number=4"),
            new("logout", "aot-host-user"));
        var session = received.Where(r => r.UserId != "aot-customer-7").Select(r => r.AnonymousId).Distinct().ToList();
        Require(failures, Name, session is [{ Length: > 0 }], "the scope's messages to share one anonymous id");
        Require(failures, Name, received.All(r => r.RequestSize <= 2), "no request with more messages than MaxBatchSize (2)");
    }

    /// <summary>
    /// The static facade with the default protocol (Rest) and StorageDirectory, across a restart: during an outage the
    /// calls are kept on disk (the upserts in the queue, a push made while anonymous in the session file); the next client
    /// on the folder restores the session and delivers what was kept.
    /// </summary>
    public static async Task FacadeRestAsync(SmokeCollector collector, string root, List<string> failures)
    {
        const string Name = "facade/Rest";
        const string Key = "aot-facade-key";
        var storage = Path.Combine(root, "facade-storage");

        collector.Unavailable = true;
        var first = Growlytics.Initialize(Key, o =>
        {
            o.Endpoint = collector.Endpoint;
            o.StorageDirectory = storage;
            o.ShutdownTimeout = TimeSpan.FromSeconds(1);
        });
        Growlytics.User.Push(new { city = "Pune" });
        Growlytics.User.Identify("aot-user-1", new { name = "Asha Rao", plan = "pro", visits = 3 });
        Growlytics.User.Logout();
        Growlytics.User.Push(new { theme = "dark" });
        await Growlytics.Customers.UpdateAsync("aot-customer-9", new { score = 12.5m, since = new DateOnly(2024, 1, 2) });
        await Growlytics.ShutdownAsync().WaitAsync(WaitLimit);
        Console.WriteLine($"{Name}, during the outage: {Describe(first.Statistics)}");
        Require(failures, Name, first.Statistics is { Delivered: 0, Dropped: 0, Pending: > 0 }, "the outage's calls pending on disk, none dropped");
        Require(failures, Name, collector.Refused > 0, "requests during the outage");
        Require(failures, Name, File.Exists(Path.Combine(storage, "session.json")) && Directory.EnumerateFiles(storage, "queue-*.seg").Any(), "session.json and a queue segment in StorageDirectory");

        collector.Unavailable = false;
        var second = Growlytics.Initialize(Key, o =>
        {
            o.Endpoint = collector.Endpoint;
            o.StorageDirectory = storage;
        });
        Require(failures, Name, !Growlytics.User.IsIdentified, "the restored session to be anonymous (the logout before the restart)");
        Growlytics.User.Identify("aot-user-2", new { tier = "gold" });
        Growlytics.User.Push(new { lastSeen = new DateTimeOffset(2025, 11, 28, 14, 5, 9, TimeSpan.FromHours(5.5)) });
        await Growlytics.FlushAsync().WaitAsync(WaitLimit);
        Growlytics.User.Logout();
        await Growlytics.ShutdownAsync().WaitAsync(WaitLimit);
        Console.WriteLine($"{Name}, after the restart: {Describe(second.Statistics)}");
        Require(failures, Name, second.Statistics is { Restored: > 0, Dropped: 0, Pending: 0 }, "stored messages restored, none dropped or pending");
        Require(failures, Name, second.Statistics.Delivered == second.Statistics.Enqueued, "every call delivered");

        Check(failures, Name, collector.ReceivedWith(Key), RestPath,
            new("upsert", "aot-user-1", "city:string=Pune", "name:string=Asha Rao", "plan:string=pro", "visits:number=3"),
            new("upsert", "aot-customer-9", "score:number=12.5", "since:date=2024-01-02 00:00:00"),
            new("upsert", "aot-user-2", "theme:string=dark", "tier:string=gold"),
            new("upsert", "aot-user-2", "lastSeen:date=2025-11-28 08:35:09"));
    }

    private static string AppSettings(string apiKey, string storage)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteStartObject("Logging");
            json.WriteStartObject("LogLevel");
            json.WriteString("Default", "Warning");
            json.WriteEndObject();
            json.WriteEndObject();
            json.WriteStartObject("Analytics");
            json.WriteString("ApiKey", apiKey);
            json.WriteString("Protocol", "Batch");
            json.WriteString("FlushInterval", "00:00:00.050");
            json.WriteNumber("MaxBatchSize", 2);
            json.WriteString("ShutdownTimeout", "00:00:10");
            json.WriteString("StorageDirectory", storage);
            json.WriteEndObject();
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }
}
