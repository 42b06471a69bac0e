using System.Net;
using GrowlyticsSdk.Tests.TestSupport;

namespace GrowlyticsSdk.Tests.Threading;

/// <summary>
/// <c>OptOut</c>, <c>DeleteLocalDataAsync</c> and the shutdown cancel the requests in flight on the calling thread (a UI
/// thread's click handler). A request whose answer is being read then has its body stream closed by the SDK (a .NET
/// Framework response stream ignores the token once a read has begun); a stream whose close fails (it drains the rest of
/// the answer to reuse the connection, and the connection broke) must not turn into an exception of the app's call.
/// </summary>
public sealed class CancelledAnswerReadOnUiThreadTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task OptOut_OnTheUiThread_WhileAnAnswerIsRead_DoesNotThrowTheStreamsCloseFault()
    {
        using var ui = new UiThread();
        var reading = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var http = new HttpClient(new StuckAnswer(reading));
        await using var client = NewClient(http);

        client.User.Identify("user-1", new { plan = "pro" });
        await reading.Task.WaitAsync(Timeout);

        var optOut = ui.RunAsync(client.OptOut);
        await optOut.WaitAsync(Timeout).ContinueWith(_ => { }, TaskScheduler.Default);

        optOut.Exception.Should().BeNull();
        client.IsOptedOut.Should().BeTrue();
        await client.FlushAsync().WaitAsync(Timeout);
        var stats = client.Statistics;
        stats.Pending.Should().Be(0);
        stats.Enqueued.Should().Be(stats.Delivered + stats.Dropped);
    }

    [Fact]
    public async Task Dispose_OnTheUiThread_PastTheDeadlineWhileAnAnswerIsRead_ShutsDownAndCountsEverything()
    {
        using var ui = new UiThread();
        var reading = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var http = new HttpClient(new StuckAnswer(reading));
        var client = NewClient(http);

        client.User.Identify("user-1", new { plan = "pro" });
        await reading.Task.WaitAsync(Timeout);
        client.User.Push(new { city = "Pune" });

        var dispose = ui.RunAsync(client.Dispose);
        await dispose.WaitAsync(Timeout).ContinueWith(_ => { }, TaskScheduler.Default);

        dispose.Exception.Should().BeNull();
        var stats = client.Statistics;
        stats.Pending.Should().Be(0);
        stats.Enqueued.Should().Be(stats.Delivered + stats.Dropped);
    }

    private static GrowlyticsClient NewClient(HttpClient http) => new(new GrowlyticsOptions
    {
        ApiKey = DeliveryHarness.ApiKey,
        Protocol = GrowlyticsProtocol.Rest,
        Endpoint = new Uri("http://127.0.0.1:9/"),
        HttpClient = http,
        FlushOnProcessExit = false,
        ShutdownTimeout = TimeSpan.FromMilliseconds(300),
    });

    /// <summary>
    /// Answers 200 with a body that never comes: a read ignores its token, as a .NET Framework response stream does once
    /// it has begun, and ends when the stream is closed; the close fails, as a drain over a broken connection does.
    /// </summary>
    private sealed class StuckAnswer(TaskCompletionSource reading) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = new StreamContent(new StuckStream(reading)) });
    }

    private sealed class StuckStream(TaskCompletionSource reading) : Stream
    {
        private readonly TaskCompletionSource<int> _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count).GetAwaiter().GetResult();

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        {
            reading.TrySetResult();
            return _closed.Task;
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            reading.TrySetResult();
            return new ValueTask<int>(_closed.Task);
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing && _closed.TrySetException(new ObjectDisposedException(nameof(StuckStream))))
            {
                throw new IOException("Unable to read data from the transport connection: the connection was reset.");
            }

            base.Dispose(disposing);
        }
    }
}
