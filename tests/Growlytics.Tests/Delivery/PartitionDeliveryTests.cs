using System.Net;
using GrowlyticsSdk.Delivery;
using GrowlyticsSdk.Tests.TestSupport;

namespace GrowlyticsSdk.Tests.Delivery;

public sealed class PartitionDeliveryTests
{
    [Fact]
    public async Task Send_OneUsersBatchInBackoff_OtherUsersGoOnWithTheOnlySlot()
    {
        var aDown = 1;
        await using var h = OneUserFailing("anon-a", () => Volatile.Read(ref aDown) == 1, o => o.MaxConcurrentRequests = 1);

        h.Push(1, "anon-a");
        await DeliveryHarness.WaitUntilAsync(() => h.Requests.Count == 1);
        h.Push(2, "anon-b");
        h.Push(3, "anon-a");
        var flush = h.Client.FlushAsync();

        // The fake clock stands still: a's retry waits out its backoff without holding the one slot.
        await DeliveryHarness.WaitUntilAsync(() => h.Accepted.Any());
        h.Accepted.SelectMany(r => r.Numbers).Should().Equal(2);
        flush.IsCompleted.Should().BeFalse("a's first message is not settled yet");
        h.Requests.Should().NotContain(r => r.Numbers.Contains(3), "a's later message waits behind its retry");

        Volatile.Write(ref aDown, 0);
        await h.RunAsync(flush, TimeSpan.FromSeconds(5));
        var delivered = h.Accepted.SelectMany(r => r.Numbers).ToList();
        delivered.Where(n => n != 2).Should().Equal(1, 3);
        h.AssertBalanced().Delivered.Should().Be(3);
    }

    [Fact]
    public async Task Send_OneUsersBatchInBackoff_AtMostOneOfAThousandOtherUsersWaitsBehindIt()
    {
        // Only users whose key falls in the failing one's partition wait behind its retry (one request a message here): with
        // the default options, at most one of these thousand (with 256 partitions, three of them did).
        await using var h = OneUserFailing("anon-failing", () => true);

        h.Push(0, "anon-failing");
        await DeliveryHarness.WaitUntilAsync(() => h.Requests.Count == 1);
        for (var i = 1; i <= 1_000; i++)
        {
            h.Push(i, "anon-" + i);
        }

        // The fake clock stands still, so the failing user's retry never comes.
        // Counted by the client, not the collector: an answered request is settled a moment later.
        await DeliveryHarness.WaitUntilAsync(() => h.Client.Statistics.Delivered >= 999);
        h.Accepted.SelectMany(r => r.Numbers).Should().OnlyHaveUniqueItems().And.NotContain(0);
        h.Client.Statistics.Pending.Should().BeInRange(1, 2);
    }

    [Fact]
    public async Task Send_KeyRefused_RefusesUntilTheRetryIntervalThenTriesAgain()
    {
        await using var h = new DeliveryHarness(o => o.MaxBatchSize = 1);
        var refused = 1;
        h.Responder = _ => Task.FromResult(new HttpResponseMessage(Volatile.Read(ref refused) == 1 ? HttpStatusCode.Unauthorized : HttpStatusCode.OK));
        h.Push(0);
        await h.FlushAsync();

        h.Push(1);
        h.Client.Statistics.DroppedByReason[DropReason.Unauthorized].Should().Be(2, "the refused key refuses later calls at once");
        h.Log.WithId(2006).Should().ContainSingle();

        Volatile.Write(ref refused, 0);
        h.Time.Advance(Dispatcher.KeyRetryInterval);
        await DeliveryHarness.WaitUntilAsync(() =>
        {
            h.Push(2);
            return h.Client.Statistics.DroppedByReason[DropReason.Unauthorized] < h.Client.Statistics.Enqueued - h.Client.Statistics.Pending;
        });
        await h.FlushAsync();

        h.Accepted.Should().NotBeEmpty("a key fixed on the service side needs no restart");
        h.AssertBalanced();
    }

    [Fact]
    public async Task FlushAsync_LaterBatchSettlesFirst_WaitsForTheEarlierOne()
    {
        await using var h = new DeliveryHarness(o => o.MaxBatchSize = 1);
        var gate = new TaskCompletionSource<HttpResponseMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        h.Responder = r => r.Numbers.Contains(1) ? gate.Task : Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK));
        h.Push(1, "anon-a");
        h.Push(2, "anon-b");

        var flush = h.Client.FlushAsync();
        // Once the later batch is counted, a flush that ignored the earlier one would have completed.
        await DeliveryHarness.WaitUntilAsync(() => h.Client.Statistics.Delivered == 1);
        flush.IsCompleted.Should().BeFalse();

        gate.SetResult(new HttpResponseMessage(HttpStatusCode.OK));
        await flush.WaitAsync(DeliveryHarness.RealTimeout);
        h.AssertBalanced().Delivered.Should().Be(2);
    }

    [Fact]
    public async Task FlushAsync_KeyRefusedWhileAnotherRequestIsOnTheWire_WaitsForThatRequestsAnswer()
    {
        await using var h = new DeliveryHarness(o => o.MaxBatchSize = 1);
        var (gate, flush) = await RefuseTheKeyWhileARequestIsOnTheWireAsync(h);
        await Task.Delay(50);
        flush.IsCompleted.Should().BeFalse("the request on the wire is not answered yet");

        gate.SetResult(new HttpResponseMessage(HttpStatusCode.OK));
        await flush.WaitAsync(DeliveryHarness.RealTimeout);
        var stats = h.AssertBalanced();
        stats.Pending.Should().Be(0);
        stats.Delivered.Should().Be(1, "the service accepted the request that was on the wire when the key was refused");
    }

    [Fact]
    public Task FlushAsync_RequestOutOfRetriesAfterTheKeyWasRefused_DropsItInsteadOfKeepingItForLater() =>
        DeliveryHarness.WithStorageHeldByAnotherClientAsync(
            o =>
            {
                o.MaxBatchSize = 1;
                o.MaxRetryAttempts = 0;
            },
            async h =>
            {
                var (gate, flush) = await RefuseTheKeyWhileARequestIsOnTheWireAsync(h);
                gate.SetResult(new HttpResponseMessage(HttpStatusCode.ServiceUnavailable));

                // The fake clock stands still: kept for later, message 1 would wait out the 5-minute key retry interval.
                await flush.WaitAsync(DeliveryHarness.RealTimeout);
                var stats = h.AssertBalanced();
                stats.Pending.Should().Be(0);
                stats.DroppedByReason[DropReason.Unauthorized].Should().Be(2, "what runs out of retries after the key was refused is dropped with everything else");
            });

    [Fact]
    public Task Send_MessagesKeptAfterTheirRequest_AreSentAgainWithIdenticalBytesAfterTheirBufferServedOtherRequests() =>
        DeliveryHarness.WithStorageHeldByAnotherClientAsync(
            o =>
            {
                o.MaxBatchSize = 40;
                o.MaxConcurrentRequests = 1;
                o.MaxRetryAttempts = 0;
                o.MaxRetryDelay = TimeSpan.FromMinutes(1);
            },
            async h =>
            {
                var firstDown = 1;
                h.Responder = r => Task.FromResult(new HttpResponseMessage(
                    r.Numbers.Contains(1) && Interlocked.Exchange(ref firstDown, 0) == 1 ? HttpStatusCode.ServiceUnavailable : HttpStatusCode.OK));

                // Requests of about 20 KB each: big enough to be sent from the shared buffer itself (a small one takes a copy).
                for (var n = 1; n <= 40; n++)
                {
                    h.Push(n, "anon-a", text: n + new string('a', 400));
                }

                await DeliveryHarness.WaitUntilAsync(() => h.Requests.Count == 1);

                // One request at a time: the other user's requests are written into the one or two buffers ended requests
                // left, the kept messages' among them.
                for (var n = 41; n <= 200; n++)
                {
                    h.Push(n, "anon-b", text: n + new string('b', 400));
                }

                await DeliveryHarness.WaitUntilAsync(() => h.Client.Statistics.Delivered == 160);
                h.Time.Advance(TimeSpan.FromMinutes(1));
                await h.FlushAsync();

                var sent = h.Requests.Where(r => r.Numbers.Contains(1)).Select(r => r.Messages.Select(m => m.GetRawText()).ToList()).ToList();
                sent.Should().HaveCount(2);
                sent[1].Should().Equal(sent[0], "messages kept after their request keep their own copy of the bytes they were sent with");
                h.AssertBalanced().Delivered.Should().Be(200);
            });

    [Fact]
    public async Task Send_ManyRequestsFilledToTheirByteLimit_ALaterSmallMessageStillWaitsToFill()
    {
        // Room for about five of these messages per request: requests fill up by bytes, and the message that does not fit
        // waits at the head of its partition for the next request.
        await using var h = new DeliveryHarness(o =>
        {
            o.MaxBatchSize = 100;
            o.MaxBatchBytes = 512 + 1000;

            // The flushes below move the fake clock: no flush-interval tick may send the small batch meanwhile.
            o.FlushInterval = TimeSpan.FromHours(1);
        });
        for (var n = 0; n < 200; n++)
        {
            h.Push(n, "anon-a", text: new string('x', 250));
        }

        await h.FlushAsync();
        var sent = h.Requests.Count;
        sent.Should().BeGreaterThan(30, "the requests were filled by bytes");

        // The fake clock stands still: a batch this small goes when it fills or the flush interval passes, not at once
        // (a partition whose byte count drifted would look full).
        h.Push(1_000, "anon-b");
        await Task.Delay(TimeSpan.FromSeconds(1));
        h.Requests.Count.Should().Be(sent);

        await h.FlushAsync();
        h.Requests.Count.Should().Be(sent + 1);
        h.AssertBalanced().Delivered.Should().Be(201);
    }

    /// <summary>
    /// One message a request; a request carrying a message of <paramref name="anonymousId"/> is answered 503 while
    /// <paramref name="failing"/> holds, and its retry waits a minute of the fake clock (which stands still unless moved).
    /// </summary>
    private static DeliveryHarness OneUserFailing(string anonymousId, Func<bool> failing, Action<GrowlyticsOptions>? configure = null)
    {
        var h = new DeliveryHarness(o =>
        {
            o.MaxBatchSize = 1;
            o.RetryBaseDelay = TimeSpan.FromMinutes(1);
            o.MaxRetryDelay = TimeSpan.FromMinutes(1);
            configure?.Invoke(o);
        });
        h.Responder = r => Task.FromResult(new HttpResponseMessage(
            failing() && r.Messages.Any(m => m.GetProperty("anonymousId").GetString() == anonymousId) ? HttpStatusCode.ServiceUnavailable : HttpStatusCode.OK));
        return h;
    }

    /// <summary>
    /// Message 1 (anon-a) goes on the wire and is held there; a flush starts; message 2 (anon-b) is answered 401.
    /// Returns the gate that answers message 1 and the flush, which was waiting already when the key was refused.
    /// </summary>
    private static async Task<(TaskCompletionSource<HttpResponseMessage> Gate, Task Flush)> RefuseTheKeyWhileARequestIsOnTheWireAsync(DeliveryHarness h)
    {
        var gate = new TaskCompletionSource<HttpResponseMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        h.Responder = r => r.Numbers.Contains(1) ? gate.Task : Task.FromResult(new HttpResponseMessage(HttpStatusCode.Unauthorized));
        h.Push(1, "anon-a");
        await DeliveryHarness.WaitUntilAsync(() => h.Requests.Count == 1);
        var flush = h.Client.FlushAsync();
        h.Push(2, "anon-b");
        await DeliveryHarness.WaitUntilAsync(() => h.Client.Statistics.DroppedByReason[DropReason.Unauthorized] == 1);
        return (gate, flush);
    }
}
