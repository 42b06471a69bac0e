using System.Net.Http.Headers;
using BenchmarkDotNet.Attributes;
using Growlytics.Benchmarks.Infrastructure;
using GrowlyticsSdk;
using GrowlyticsSdk.Messages;
using GrowlyticsSdk.Serialization;

namespace Growlytics.Benchmarks.EndToEnd;

/// <summary>
/// Messages per second from one producing thread to a collector on loopback: 50,000 three-attribute updates,
/// then <see cref="GrowlyticsClient.FlushAsync"/>; the operation count is the message count, so the time column
/// is per message and the Msgs/s column is the throughput. The floor is what one <see cref="HttpClient"/> does
/// posting the same gzip bodies (batches of 100), one request at a time and 8 at a time (the SDK's default concurrency
/// for the batch protocol), with no SDK in the way; the JSON-and-gzip floors add the wire's own work to it (see
/// <see cref="FloorHttpClientJsonAndGzip"/>).
/// </summary>
[ScenarioJob]
public class EndToEndBenchmarks
{
    private const int MessageCount = 50_000;
    private const int BatchSize = 100;

    private LoopbackSink _sink = null!;
    private GrowlyticsClient _client = null!;
    private Dictionary<string, object?> _attributes = null!;
    private string[] _customerIds = null!;
    private HttpClient _http = null!;
    private Uri _batchUri = null!;
    private byte[] _gzipBatch = null!;
    private UserMessage[] _messages = null!;

    /// <summary>Gets the handler the SDK's requests go to instead of the loopback collector (the harness's <c>many-inprocess</c>), or <see langword="null"/>.</summary>
    internal HttpMessageHandler? Handler { get; init; }

    /// <summary>Gets the SDK's client (the harness reads its statistics between rounds).</summary>
    internal GrowlyticsClient Client => _client;

    /// <summary>Gets the CPU time the pushing thread used in the last round's calls (see <see cref="ThreadCpuTime"/>).</summary>
    internal double LastPushCpuMilliseconds { get; private set; }

    [GlobalSetup]
    public async Task SetupAsync()
    {
        _sink = await LoopbackSink.StartAsync();
        _client = new GrowlyticsClient(new GrowlyticsOptions
        {
            ApiKey = "benchmark-key",
            Endpoint = _sink.Address,
            Protocol = GrowlyticsProtocol.Batch,

            // Room for the whole run: the producer is faster than any collector, and a drop would flatter the figure.
            MaxQueueSize = MessageCount * 2,
            FlushOnProcessExit = false,
            HttpClient = Handler is null ? null : new HttpClient(Handler),
        });
        _attributes = Attributes.Dictionary(3);
        _customerIds = Enumerable.Range(0, 1_000).Select(i => "customer-" + i).ToArray();
        _http = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) });
        _batchUri = new Uri(_sink.Address, "events/sdk-batch");
        _gzipBatch = BatchBody.Build(Messages.Serialized(BatchSize, 3), DateTimeOffset.UnixEpoch);
        _messages = Enumerable.Range(0, MessageCount).Select(i => Messages.Update(3, _customerIds[i % _customerIds.Length])).ToArray();
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        await _client.DisposeAsync();
        var statistics = _client.Statistics;
        Console.WriteLine($"// sink: {_sink.Requests} requests, {_sink.Bytes} bytes; client: enqueued {statistics.Enqueued}, delivered {statistics.Delivered}, dropped {statistics.Dropped}; written ahead and sent {_client.Dispatcher.WrittenAheadSent}, with the body compressed ahead {_client.Dispatcher.PreparedSent}");
        _http.Dispose();
        await _sink.DisposeAsync();
        if (statistics.Dropped != 0 || statistics.Delivered != statistics.Enqueued)
        {
            throw new InvalidOperationException("Not every message was delivered: the figure is not valid.");
        }
    }

    [Benchmark(OperationsPerInvoke = MessageCount)]
    public async Task PushAndFlush()
    {
        var user = _client.User;
        var cpu = ThreadCpuTime.NowMilliseconds();
        for (var i = 0; i < MessageCount; i++)
        {
            user.Push(_attributes);
        }

        LastPushCpuMilliseconds = ThreadCpuTime.NowMilliseconds() - cpu;

        await _client.FlushAsync();
    }

    /// <summary>
    /// The same 50,000 updates from one thread, for 1,000 customers (<see cref="GrowlyticsCustomers.Update(string, IReadOnlyDictionary{string, object})"/>):
    /// different users are sent concurrently, one user's messages one request at a time.
    /// </summary>
    [Benchmark(OperationsPerInvoke = MessageCount)]
    public async Task PushAndFlushManyUsers()
    {
        var customers = _client.Customers;
        var cpu = ThreadCpuTime.NowMilliseconds();
        for (var i = 0; i < MessageCount; i++)
        {
            customers.Update(_customerIds[i % _customerIds.Length], _attributes);
        }

        LastPushCpuMilliseconds = ThreadCpuTime.NowMilliseconds() - cpu;

        await _client.FlushAsync();
    }

    [Benchmark(OperationsPerInvoke = MessageCount, Baseline = true)]
    public async Task FloorHttpClientPreGzipped()
    {
        for (var i = 0; i < MessageCount / BatchSize; i++)
        {
            await PostBatchAsync();
        }
    }

    /// <summary>The floor at the SDK's default concurrency for the batch protocol: 8 requests at a time.</summary>
    [Benchmark(OperationsPerInvoke = MessageCount)]
    public async Task FloorHttpClientPreGzipped8AtATime()
    {
        var next = -1;
        var workers = Enumerable.Range(0, GrowlyticsOptions.DefaultBatchConcurrency).Select(async _ =>
        {
            while (Interlocked.Increment(ref next) < MessageCount / BatchSize)
            {
                await PostBatchAsync();
            }
        });
        await Task.WhenAll(workers);
    }

    /// <summary>
    /// The wire's own work with no engine: each batch of 100 queued messages (built once, before the run) written as JSON by
    /// the SDK's writer and gzipped, as DESIGN's batch protocol requires, then posted one request at a time, the next
    /// body built while the request before it is in flight. What separates this from <see cref="PushAndFlush"/> is the
    /// calls and the engine; what separates it from <see cref="FloorHttpClientPreGzipped"/> is the JSON and gzip.
    /// </summary>
    [Benchmark(OperationsPerInvoke = MessageCount)]
    public async Task FloorHttpClientJsonAndGzip()
    {
        var buffer = new ByteBufferWriter(1024);
        var batch = new List<ReadOnlyMemory<byte>>(BatchSize);
        Task? inFlight = null;
        for (var i = 0; i < MessageCount / BatchSize; i++)
        {
            var body = BuildBody(i, buffer, batch);
            if (inFlight is not null)
            {
                await inFlight;
            }

            inFlight = PostBatchAsync(body);
        }

        await inFlight!;
    }

    /// <summary>The same, 8 requests at a time, each worker building its own bodies.</summary>
    [Benchmark(OperationsPerInvoke = MessageCount)]
    public async Task FloorHttpClientJsonAndGzip8AtATime()
    {
        var next = -1;
        var workers = Enumerable.Range(0, GrowlyticsOptions.DefaultBatchConcurrency).Select(_ => Task.Run(async () =>
        {
            var buffer = new ByteBufferWriter(1024);
            var batch = new List<ReadOnlyMemory<byte>>(BatchSize);
            int index;
            while ((index = Interlocked.Increment(ref next)) < MessageCount / BatchSize)
            {
                await PostBatchAsync(BuildBody(index, buffer, batch));
            }
        }));
        await Task.WhenAll(workers);
    }

    // The messages' JSON appended to one reused buffer (as the delivery loop does), then the envelope and gzip.
    private byte[] BuildBody(int index, ByteBufferWriter buffer, List<ReadOnlyMemory<byte>> batch)
    {
        buffer.Clear();
        batch.Clear();
        Span<int> ends = stackalloc int[BatchSize];
        for (var m = 0; m < BatchSize; m++)
        {
            MessageJsonWriter.Append(_messages[(index * BatchSize) + m], buffer);
            ends[m] = buffer.WrittenCount;
        }

        var start = 0;
        for (var m = 0; m < BatchSize; m++)
        {
            batch.Add(buffer.Slice(start, ends[m] - start));
            start = ends[m];
        }

        return BatchBody.Build(batch, DateTimeOffset.UtcNow);
    }

    private Task PostBatchAsync() => PostBatchAsync(_gzipBatch);

    private async Task PostBatchAsync(byte[] body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, _batchUri);
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        content.Headers.ContentEncoding.Add("gzip");
        request.Content = content;
        request.Headers.TryAddWithoutValidation("x-growlytics-key", "benchmark-key");
        using var response = await _http.SendAsync(request);
        response.EnsureSuccessStatusCode();
    }
}
