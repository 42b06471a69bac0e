using System.Net;
using System.Text;

namespace GrowlyticsSdk.Tests.Protocols;

/// <summary>
/// A REST 2xx answer whose body has been read whole when the shutdown's deadline passes: the service took the upsert and
/// the SDK has all of its answer in memory, so it is counted <c>Delivered</c>, as a Batch 2xx is, not dropped as
/// <see cref="DropReason.Shutdown"/>.
/// </summary>
public sealed class RestSuccessReadAtShutdownTests
{
    private const string Refusal = "{\"type\":\"ValidationError\",\"details\":[{\"path\":[\"attributes\",0,\"value\"],\"type\":\"string.max\"}]}";

    [Fact]
    public async Task Shutdown_DeadlinePassesAsTheLastByteOfA200Arrives_TheUpsertIsCountedDelivered()
    {
        var reading = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var http = new HttpClient(new AnswerHandler(HttpStatusCode.OK, "{\"success\":true}", reading));
        var (client, dropped) = Client(http);

        client.Customers.Update("c-1", new Dictionary<string, object?> { ["plan"] = "pro" });
        await reading.Task.WaitAsync(TimeSpan.FromSeconds(20));
        await client.ShutdownAsync().WaitAsync(TimeSpan.FromSeconds(20));

        var statistics = client.Statistics;
        statistics.DroppedByReason[DropReason.Shutdown].Should().Be(0, "the answer, 200 {\"success\":true}, was in hand");
        (statistics.Enqueued, statistics.Delivered, statistics.Dropped, statistics.Pending).Should().Be((1, 1, 0, 0));
        statistics.BatchesSent.Should().Be(1);
        dropped.Should().BeEmpty();
    }

    [Fact]
    public async Task Shutdown_DeadlinePassesAsTheLastByteOfA422Arrives_TheRefusalKeepsItsFieldAndRule()
    {
        var reading = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var http = new HttpClient(new AnswerHandler(HttpStatusCode.UnprocessableEntity, Refusal, reading));
        var (client, dropped) = Client(http);

        client.Customers.Update("c-1", new Dictionary<string, object?> { ["plan"] = "pro" });
        await reading.Task.WaitAsync(TimeSpan.FromSeconds(20));
        await client.ShutdownAsync().WaitAsync(TimeSpan.FromSeconds(20));

        var statistics = client.Statistics;
        (statistics.Enqueued, statistics.Dropped, statistics.DroppedByReason[DropReason.Rejected]).Should().Be((1, 1, 1));
        var drop = dropped.Should().ContainSingle().Subject;
        (drop.Reason, drop.StatusCode, drop.ErrorPath, drop.ErrorType).Should().Be((DropReason.Rejected, 422, "attributes.0.value", "string.max"), "the refusal's body was in hand");
    }

    private static (GrowlyticsClient Client, List<MessageDroppedEventArgs> Dropped) Client(HttpClient http)
    {
        var client = new GrowlyticsClient(new GrowlyticsOptions
        {
            ApiKey = "rest-key",
            Endpoint = new Uri("https://collector.test/"),
            Protocol = GrowlyticsProtocol.Rest,
            HttpClient = http,
            ShutdownTimeout = TimeSpan.FromMilliseconds(200),
            FlushOnProcessExit = false,
        });

        // Shutdown returns once the drops it counted have been reported.
        var dropped = new List<MessageDroppedEventArgs>();
        client.MessageDropped += (_, e) =>
        {
            lock (dropped)
            {
                dropped.Add(e);
            }
        };
        return (client, dropped);
    }

    // Answers with a body whose bytes all come once the read's token is cancelled: at the shutdown's deadline.
    private sealed class AnswerHandler(HttpStatusCode status, string body, TaskCompletionSource reading) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Task.FromResult(new HttpResponseMessage(status) { Content = new LateContent(Encoding.UTF8.GetBytes(body), reading) });
    }

    private sealed class LateContent(byte[] body, TaskCompletionSource reading) : HttpContent
    {
        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) => stream.WriteAsync(body).AsTask();

        protected override Task<Stream> CreateContentReadStreamAsync() => Task.FromResult<Stream>(new LateStream(body, reading));

        protected override bool TryComputeLength(out long length)
        {
            length = body.Length;
            return true;
        }
    }

    private sealed class LateStream(byte[] body, TaskCompletionSource reading) : Stream
    {
        private bool _done;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_done)
            {
                return 0;
            }

            _done = true;
            reading.TrySetResult();
            var cancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            using (cancellationToken.Register(() => cancelled.TrySetResult()))
            {
                await cancelled.Task;
            }

            // The whole body arrives just as the deadline passes.
            body.CopyTo(buffer);
            return body.Length;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
