using System.Net.Http.Headers;
using System.Text;
using BenchmarkDotNet.Attributes;
using Growlytics.Benchmarks.Infrastructure;
using GrowlyticsSdk;

namespace Growlytics.Benchmarks.EndToEnd;

/// <summary>
/// The REST protocol end to end: 5,000 customer updates (3 attributes, 500 customers) awaited into the queue by one
/// producer, then <see cref="GrowlyticsClient.FlushAsync"/>, to a sink that answers after no delay or after 5 ms (a
/// service some way off). Against the floors: one <see cref="HttpClient"/> posting the same bodies 8 at a time, and
/// at the SDK's default REST concurrency (<see cref="GrowlyticsOptions.DefaultRestConcurrency"/>).
/// </summary>
[GoodputJob]
public class RestEndToEndBenchmarks
{
    private const int MessageCount = 5_000;
    private const int Customers = 500;
    private LoopbackSink _sink = null!;
    private Dictionary<string, object?> _attributes = null!;
    private HttpClient _http = null!;
    private Uri _uri = null!;
    private byte[][] _bodies = null!;

    [Params(0, 5)]
    public int LatencyMs { get; set; }

    [GlobalSetup]
    public async Task SetupAsync()
    {
        _sink = await LoopbackSink.StartAsync();
        _sink.Latency = TimeSpan.FromMilliseconds(LatencyMs);
        _attributes = Attributes.Dictionary(3);
        _http = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5), MaxConnectionsPerServer = 256 });
        _uri = new Uri(_sink.Address, "rest-api/customer");
        _bodies = Enumerable.Range(0, Customers)
            .Select(c => Encoding.UTF8.GetBytes(
                "{\"id\":\"customer-" + c + "\",\"attributes\":[{\"name\":\"city\",\"type\":\"string\",\"value\":\"San Francisco\"},"
                + "{\"name\":\"subscriptionType\",\"type\":\"string\",\"value\":\"pro\"},{\"name\":\"totalPurchaseTillNow\",\"type\":\"number\",\"value\":30000}]}"))
            .ToArray();
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        _http.Dispose();
        await _sink.DisposeAsync();
    }

    [Benchmark(OperationsPerInvoke = MessageCount)]
    public Task SdkDefaults() => RunSdkAsync(0);

    /// <summary>The SDK with 16 requests at a time: one of the settings the REST default was chosen from.</summary>
    [Benchmark(OperationsPerInvoke = MessageCount)]
    public Task SdkConcurrency16() => RunSdkAsync(16);

    /// <summary>The SDK with 64 requests at a time: one of the settings the REST default was chosen from.</summary>
    [Benchmark(OperationsPerInvoke = MessageCount)]
    public Task SdkConcurrency64() => RunSdkAsync(64);

    [Benchmark(OperationsPerInvoke = MessageCount, Baseline = true)]
    public Task BareHttpClient8AtATime() => PostAllAsync(8);

    [Benchmark(OperationsPerInvoke = MessageCount)]
    public Task BareHttpClientAtSdkConcurrency() => PostAllAsync(GrowlyticsOptions.DefaultRestConcurrency);

    private async Task RunSdkAsync(int concurrency)
    {
        await using var client = new GrowlyticsClient(new GrowlyticsOptions
        {
            ApiKey = "benchmark-key",
            Endpoint = _sink.Address,
            MaxConcurrentRequests = concurrency,
            FlushOnProcessExit = false,
        });
        for (var i = 0; i < MessageCount; i++)
        {
            await client.Customers.UpdateAsync("customer-" + (i % Customers), _attributes);
        }

        await client.FlushAsync();
        if (client.Statistics.Delivered != MessageCount)
        {
            throw new InvalidOperationException($"Delivered {client.Statistics.Delivered} of {MessageCount}: the figure is not valid.");
        }
    }

    private async Task PostAllAsync(int concurrency)
    {
        var next = -1;
        var workers = Enumerable.Range(0, concurrency).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < MessageCount)
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, _uri);
                var content = new ByteArrayContent(_bodies[i % Customers]);
                content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                request.Content = content;
                request.Headers.TryAddWithoutValidation("x-growlytics-key", "benchmark-key");
                using var response = await _http.SendAsync(request);
                response.EnsureSuccessStatusCode();
            }
        });
        await Task.WhenAll(workers);
    }
}
