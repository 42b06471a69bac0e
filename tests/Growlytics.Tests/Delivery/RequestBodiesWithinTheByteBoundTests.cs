using System.Collections.Concurrent;
using System.Net;
using GrowlyticsSdk.Tests.TestSupport;

namespace GrowlyticsSdk.Tests.Delivery;

/// <summary>
/// <see cref="GrowlyticsOptions.MaxQueueBytes"/> holds for the messages and the bodies of the requests on their way
/// together: each message's estimate holds its JSON from the call, so a request built from queued messages (sent, waiting
/// out a retry, or held by a service that does not answer) takes no room they had not counted, and
/// <see cref="GrowlyticsStatistics.QueuedBytes"/> never goes past the bound (the bodies' buffers used to take it to about
/// twice the bound with the batch protocol, and a little past it with REST).
/// </summary>
public sealed class RequestBodiesWithinTheByteBoundTests
{
    private const int MaxQueueBytes = 64 * 1024;

    [Theory]
    [InlineData(GrowlyticsProtocol.Batch, 0, 20)]
    [InlineData(GrowlyticsProtocol.Batch, 500, 20)]
    [InlineData(GrowlyticsProtocol.Rest, 0, 20)]
    [InlineData(GrowlyticsProtocol.Rest, 500, 20)]

    // Requests of 60 3-attribute updates fill a quarter of the 64 KB buffer they are written in: the buffer itself would be
    // kept (the rest of it counted), so it is cut to an exact copy to stay within the bound.
    [InlineData(GrowlyticsProtocol.Batch, 0, 60)]

    // Text outside ASCII: its JSON (3 bytes a character) is counted from the call too.
    [InlineData(GrowlyticsProtocol.Batch, 500, 5, '\u4E2D')]
    [InlineData(GrowlyticsProtocol.Rest, 500, 20, '\u00E9')]
    public async Task Push_ServiceNeverAnswers_QueuedBytesStaysWithinTheBound(GrowlyticsProtocol protocol, int textLength, int batchSize, char fill = 'x')
    {
        // Its own handler: the harness's collector reads batch bodies only.
        using var held = new HeldAnswers();
        using var http = new HttpClient(held);
        await using var h = new DeliveryHarness(o =>
        {
            o.Protocol = protocol;
            o.MaxQueueBytes = MaxQueueBytes;
            o.HttpClient = http;

            // The batch protocol starts a request as soon as a request's worth of messages is queued.
            o.MaxBatchSize = batchSize;
        });

        long most = 0;
        for (var i = 0; i < 3_000; i++)
        {
            Call(h, protocol, i, textLength, fill);
            most = Math.Max(most, h.Client.Statistics.QueuedBytes);
            if (i % 100 == 99)
            {
                // The loop builds and starts requests meanwhile.
                await Task.Delay(1);
            }
        }

        await DeliveryHarness.WaitUntilAsync(() => held.Received > 0);
        var statistics = h.Client.Statistics;
        statistics.DroppedByReason[DropReason.QueueFull].Should().BePositive("the bound was reached");
        most = Math.Max(most, statistics.QueuedBytes);
        most.Should().BeLessThanOrEqualTo(MaxQueueBytes, "the requests' bodies are within their messages' estimates");
        statistics.QueuedBytes.Should().Be(h.Client.Queue.EstimatedBytes + h.Client.Queue.RequestBytes);

        held.Answer();
        await h.FlushAsync();
        h.Client.Statistics.Delivered.Should().Be(statistics.Enqueued - statistics.DroppedByReason[DropReason.QueueFull]);
        h.Client.Statistics.QueuedBytes.Should().Be(0);
    }

    [Fact]
    public async Task Push_WhileRequestsWaitOutTheirRetries_QueuedBytesStaysWithinTheBound()
    {
        var text = new string('x', 500);
        await using var h = new DeliveryHarness(o =>
        {
            o.MaxBatchSize = 10;
            o.MaxQueueSize = 100_000;
            o.MaxQueueBytes = 256 * 1024;
        })
        {
            // Every request fails; the clock does not move, so each waits out its first retry for as long as the test runs.
            Responder = _ => Task.FromResult(new HttpResponseMessage(HttpStatusCode.ServiceUnavailable)),
        };

        // 100 users' updates, all of them in requests that wait: sent and failed, waiting out a retry, or refused by the
        // circuit once it opened, waiting for it to close.
        for (var i = 0; i < 100; i++)
        {
            h.Push(1_000 + i, "anon-" + i, text);
        }

        await DeliveryHarness.WaitUntilAsync(() => h.Requests.Count > 0);

        // More calls until they are refused for room.
        long most = 0;
        for (var n = 2_000; n < 3_000; n++)
        {
            h.Push(n, "anon-" + n, text);
            most = Math.Max(most, h.Client.Statistics.QueuedBytes);
        }

        h.Client.Statistics.DroppedByReason[DropReason.QueueFull].Should().BePositive();
        most.Should().BeLessThanOrEqualTo(256 * 1024);
    }

    [Fact]
    public async Task Send_OneUsersWrittenAheadRequestGoesOutWithTheQueueFull_QueuedBytesStaysWithinTheBound()
    {
        // Requests of 60 3-attribute updates fill more than a quarter of their 64 KB buffer, which is kept: one written
        // ahead goes out as soon as the answer to the request before it comes, before that one's messages are settled.
        const int maxQueueBytes = 128 * 1024;
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var h = new DeliveryHarness(
            o =>
            {
                o.MaxQueueBytes = maxQueueBytes;
                o.MaxBatchSize = 60;
            },
            startDelivery: false);
        var atArrival = new ConcurrentQueue<long>();
        h.Responder = async request =>
        {
            atArrival.Enqueue(h.Client.Statistics.QueuedBytes);
            if (request.Index == 1)
            {
                await gate.Task;
            }

            return new HttpResponseMessage(HttpStatusCode.OK);
        };

        long most = 0;
        var n = 0;
        void Push()
        {
            using (h.Client.BeginScope("anon-a"))
            {
                h.Client.User.Push(new Dictionary<string, object?> { ["n"] = (long)n++, ["plan"] = "pro", ["city"] = "Pune" });
            }

            most = Math.Max(most, h.Client.Statistics.QueuedBytes);
        }

        while (h.Client.Statistics.DroppedByReason[DropReason.QueueFull] == 0 && n < 1_000)
        {
            Push();
        }

        h.Client.Dispatcher.Start();
        await DeliveryHarness.WaitUntilAsync(() => h.Requests.Count == 1 && h.Client.Dispatcher.WrittenAheadWaiting == 1);

        // The queue full again behind the two requests.
        var refused = h.Client.Statistics.DroppedByReason[DropReason.QueueFull];
        while (h.Client.Statistics.DroppedByReason[DropReason.QueueFull] == refused && n < 2_000)
        {
            Push();
        }

        gate.SetResult();
        await DeliveryHarness.WaitUntilAsync(() => h.Requests.Count >= 2);
        for (var i = 0; i < 200; i++)
        {
            Push();
        }

        await h.FlushAsync();
        h.Client.Dispatcher.WrittenAheadSent.Should().BePositive("the second request was written ahead");
        // The answers read the figure while this thread pushes: a push the full queue refuses reserves its bytes and takes
        // them back (the documented moment QueuedBytes passes the bound by one message: up to 556 bytes seen in a CI run).
        // A written request's buffer left uncut would pass it by far more (its unused part, kilobytes).
        const long OneUpdate = 1_024;
        most = Math.Max(most, atArrival.Max() - OneUpdate);
        most.Should().BeLessThanOrEqualTo(maxQueueBytes, "the written request's buffer is cut to an exact copy when the bound is near, as any other");
        h.AssertBalanced();
    }

    private static void Call(DeliveryHarness h, GrowlyticsProtocol protocol, int n, int textLength, char fill)
    {
        var attributes = new Dictionary<string, object?> { ["n"] = (long)n, ["plan"] = "pro", ["city"] = "Pune" };
        if (textLength > 0)
        {
            attributes["text"] = new string(fill, textLength);
        }

        if (protocol == GrowlyticsProtocol.Rest)
        {
            // REST sends customers' updates (an anonymous push waits for its visitor's login).
            h.Client.Customers.Update("customer-" + (n % 500), attributes);
            return;
        }

        using (h.Client.BeginScope("anon-" + (n % 500)))
        {
            h.Client.User.Push(attributes);
        }
    }

    /// <summary>Holds every request until <see cref="Answer"/>, then answers each 200.</summary>
    private sealed class HeldAnswers : HttpMessageHandler
    {
        private readonly TaskCompletionSource _answer = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _received;

        public int Received => Volatile.Read(ref _received);

        public void Answer() => _answer.TrySetResult();

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _received);
            await _answer.Task.WaitAsync(cancellationToken);
            return new HttpResponseMessage(HttpStatusCode.OK);
        }
    }
}
