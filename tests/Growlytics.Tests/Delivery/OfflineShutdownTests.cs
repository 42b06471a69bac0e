using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using GrowlyticsSdk.Tests.TestSupport;

namespace GrowlyticsSdk.Tests.Delivery;

/// <summary>
/// An app closed while the service cannot be reached: with the circuit open past the shutdown's deadline and nothing on
/// the wire, nothing can be delivered in the time left, so the shutdown does not wait it out (a desktop app took the whole
/// <see cref="GrowlyticsOptions.ShutdownTimeout"/> to close, every time, offline). With a break that ends before the
/// deadline it still waits for the probe. The clock is fake and does not move while the shutdown runs.
/// </summary>
public sealed class OfflineShutdownTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Shutdown_WithTheCircuitOpenPastTheDeadline_ReturnsWithoutTheClockMoving(bool storage)
    {
        var folder = Path.Combine(Path.GetTempPath(), "growlytics-tests", Guid.NewGuid().ToString("N"));
        try
        {
            await using var h = new DeliveryHarness(o =>
            {
                o.ShutdownTimeout = TimeSpan.FromSeconds(5);
                o.CircuitBreakDuration = TimeSpan.FromSeconds(15);
                o.StorageDirectory = storage ? folder : null;
            });
            h.Responder = _ => Task.FromException<HttpResponseMessage>(Refused());
            PushForUsers(h, users: 100, each: 10);
            h.Client.Dispatcher.RequestDrain();
            await h.AdvanceUntilAsync(() => h.Log.Entries.Any(e => e.EventId == 2020), TimeSpan.FromMilliseconds(50));

            // Attempts the breaker let through as it opened may reach the service after it logged: counted once they have.
            await DeliveryHarness.WaitUntilAsync(() => h.Client.Dispatcher.Sender.AttemptsPastCircuit == 0);
            var attempts = h.Requests.Count;

            var shutdown = h.Client.ShutdownAsync();
            await shutdown.WaitAsync(DeliveryHarness.RealTimeout);

            h.Requests.Count.Should().Be(attempts, "the open circuit let nothing through");
            var statistics = h.AssertBalanced();
            statistics.Delivered.Should().Be(0);
            if (storage)
            {
                statistics.Dropped.Should().Be(0, "the messages stay in the storage folder for the next start");
                statistics.Pending.Should().Be(1_000);
            }
            else
            {
                statistics.DroppedByReason.Where(pair => pair.Value != 0).Should().Equal(
                    [new KeyValuePair<DropReason, long>(DropReason.Shutdown, 1_000)],
                    "nothing was answered, so every message is left at the shutdown (events logged: {0})",
                    string.Join(", ", h.Log.Entries.Select(e => e.EventId).Distinct()));
            }
        }
        finally
        {
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
    }

    [Fact]
    public async Task Shutdown_WithABreakThatEndsBeforeTheDeadline_WaitsForTheProbe_AndDelivers()
    {
        // The harness moves the fake clock 50 ms a millisecond of real time: a deadline of a few seconds passed on a busy
        // machine (CI's projects at once) before the last requests after the probe were answered, and a batch was counted
        // Shutdown. A deadline of 30 s still comes well after the 2 s break; the retries cannot run out in the outage.
        await using var h = new DeliveryHarness(o =>
        {
            o.ShutdownTimeout = TimeSpan.FromSeconds(30);
            o.CircuitBreakDuration = TimeSpan.FromSeconds(2);
            o.MaxRetryAttempts = 100;
        });
        h.Responder = _ => Task.FromException<HttpResponseMessage>(Refused());
        PushForUsers(h, users: 100, each: 10);
        h.Client.Dispatcher.RequestDrain();
        await h.AdvanceUntilAsync(() => h.Log.Entries.Any(e => e.EventId == 2020), TimeSpan.FromMilliseconds(50));

        var shutdown = h.Client.ShutdownAsync();
        await Task.Delay(200);
        shutdown.IsCompleted.Should().BeFalse("the circuit lets a probe through before the deadline");

        h.Responder = _ => Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK));
        await h.RunAsync(shutdown, TimeSpan.FromMilliseconds(50));
        var statistics = h.AssertBalanced();
        statistics.DroppedByReason.Where(r => r.Value > 0).Should().BeEmpty();
        statistics.Delivered.Should().Be(1_000);
    }

    // A few calls, too few answers for the circuit to open: with storage they are in the folder already, and the retries of
    // a connection that was refused can only find the service still unreachable, so the shutdown leaves them there at once.
    [Theory]
    [InlineData(1, 1)]
    [InlineData(3, 5)]
    public async Task Shutdown_WithStorage_AndOnlyRetriesAfterRefusedConnections_ReturnsWithoutTheClockMoving(int users, int each)
    {
        await WithFolderAsync(async folder =>
        {
            var retries = 0;
            await using var h = new DeliveryHarness(o =>
            {
                o.StorageDirectory = folder;
                o.RetryDelayObserver = _ => Interlocked.Increment(ref retries);
            });
            h.Responder = _ => Task.FromException<HttpResponseMessage>(Refused());
            PushForUsers(h, users, each);
            h.Client.Dispatcher.RequestDrain();
            await h.AdvanceUntilAsync(() => Volatile.Read(ref retries) >= 1 && h.Requests.Count >= 1, TimeSpan.FromMilliseconds(50));

            var shutdown = h.Client.ShutdownAsync();
            await shutdown.WaitAsync(DeliveryHarness.RealTimeout);

            var statistics = h.AssertBalanced();
            statistics.Delivered.Should().Be(0);
            statistics.Dropped.Should().Be(0, "the messages stay in the storage folder for the next start");
            statistics.Pending.Should().Be(users * each);
        });
    }

    [Fact]
    public async Task Shutdown_WithStorage_AndARetryDueAfterTheDeadline_ReturnsWithoutTheClockMoving()
    {
        await WithFolderAsync(async folder =>
        {
            var retries = 0;
            await using var h = new DeliveryHarness(o =>
            {
                o.StorageDirectory = folder;
                o.RetryDelayObserver = _ => Interlocked.Increment(ref retries);
            });
            h.Responder = _ =>
            {
                var busy = new HttpResponseMessage(HttpStatusCode.ServiceUnavailable);
                busy.Headers.RetryAfter = new RetryConditionHeaderValue(TimeSpan.FromSeconds(20));
                return Task.FromResult(busy);
            };
            PushForUsers(h, users: 2, each: 3);
            h.Client.Dispatcher.RequestDrain();
            await h.AdvanceUntilAsync(() => Volatile.Read(ref retries) >= 1, TimeSpan.FromMilliseconds(50));
            var attempts = h.Requests.Count;

            var shutdown = h.Client.ShutdownAsync();
            await shutdown.WaitAsync(DeliveryHarness.RealTimeout);

            h.Requests.Count.Should().Be(attempts);
            var statistics = h.AssertBalanced();
            statistics.Dropped.Should().Be(0, "the messages stay in the storage folder for the next start");
            statistics.Pending.Should().Be(6);
        });
    }

    // The service answered (it is up, and busy): its retry within the deadline may succeed, so the shutdown waits for it.
    [Fact]
    public async Task Shutdown_WithStorage_AndARetryAfterAnAnswer_WaitsForIt_AndDelivers()
    {
        await WithFolderAsync(async folder =>
        {
            var retries = 0;
            await using var h = new DeliveryHarness(o =>
            {
                o.StorageDirectory = folder;
                o.RetryDelayObserver = _ => Interlocked.Increment(ref retries);
            });
            h.Responder = _ => Task.FromResult(new HttpResponseMessage(HttpStatusCode.ServiceUnavailable));
            PushForUsers(h, users: 1, each: 4);
            h.Client.Dispatcher.RequestDrain();
            await h.AdvanceUntilAsync(() => Volatile.Read(ref retries) >= 1, TimeSpan.FromMilliseconds(50));

            h.Responder = _ => Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK));
            await h.RunAsync(h.Client.ShutdownAsync(), TimeSpan.FromMilliseconds(50));

            var statistics = h.AssertBalanced();
            statistics.Delivered.Should().Be(4);
            statistics.Pending.Should().Be(0);
        });
    }

    // A refused connection, then an answer from the service, then another refusal: the first batch's retry follows an answer
    // (the service is up, maybe behind another address), so it is waited for, though the latest attempt got none.
    [Fact]
    public async Task Shutdown_WithStorage_AndARetryAfterARefusalTheServiceAnsweredSince_WaitsForIt_AndDelivers()
    {
        await WithFolderAsync(async folder =>
        {
            var retries = 0;
            var up = false;
            await using var h = new DeliveryHarness(o =>
            {
                o.StorageDirectory = folder;
                o.MaxBatchSize = 1;
                o.MaxConcurrentRequests = 4;
                o.RetryDelayObserver = _ => Interlocked.Increment(ref retries);
            });
            h.Responder = async request =>
            {
                if (Volatile.Read(ref up))
                {
                    return new HttpResponseMessage(HttpStatusCode.OK);
                }

                switch (request.Numbers.Single())
                {
                    case 1:
                        throw Refused();
                    case 2:
                        // Answered once the first batch waits for its retry after its refused connection.
                        await DeliveryHarness.WaitUntilAsync(() => Volatile.Read(ref retries) >= 1);
                        return new HttpResponseMessage(HttpStatusCode.OK);
                    default:
                        // Refused once that answer is in: the latest attempt then had none.
                        await DeliveryHarness.WaitUntilAsync(() => h.Client.Statistics.Delivered >= 1);
                        throw Refused();
                }
            };
            h.Push(1, anonymousId: "visitor-a");
            h.Push(2, anonymousId: "visitor-b");
            h.Push(3, anonymousId: "visitor-c");
            await h.Client.FlushToStorageAsync();
            h.Client.Dispatcher.RequestDrain();

            // The clock stands still: both refused batches wait for their first retry.
            await DeliveryHarness.WaitUntilAsync(() => Volatile.Read(ref retries) >= 2 && h.Client.Dispatcher.Sender.AttemptsPastCircuit == 0);
            h.Client.Statistics.Delivered.Should().Be(1);

            Volatile.Write(ref up, true);
            await h.RunAsync(h.Client.ShutdownAsync(), TimeSpan.FromMilliseconds(50));

            var statistics = h.AssertBalanced();
            statistics.Delivered.Should().Be(3, "the service answered after the first batch's refused connection");
            statistics.Pending.Should().Be(0);
        });
    }

    // Without storage the retries within the deadline are the messages' only chance: a service back by then takes them.
    [Fact]
    public async Task Shutdown_WithoutStorage_AndRetriesAfterRefusedConnections_WaitsForThem_AndDelivers()
    {
        var retries = 0;
        await using var h = new DeliveryHarness(o => o.RetryDelayObserver = _ => Interlocked.Increment(ref retries));
        h.Responder = _ => Task.FromException<HttpResponseMessage>(Refused());
        PushForUsers(h, users: 3, each: 5);
        h.Client.Dispatcher.RequestDrain();
        await h.AdvanceUntilAsync(() => Volatile.Read(ref retries) >= 1, TimeSpan.FromMilliseconds(50));

        h.Responder = _ => Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK));
        await h.RunAsync(h.Client.ShutdownAsync(), TimeSpan.FromMilliseconds(50));

        var statistics = h.AssertBalanced();
        statistics.Delivered.Should().Be(15);
        statistics.Dropped.Should().Be(0);
    }

    // Messages in memory (the folder is another client's) would be lost with the process: their retries are waited for.
    [Fact]
    public async Task Shutdown_WithMessagesOnlyInMemory_AndRetriesAfterRefusedConnections_WaitsForThem_AndDelivers()
    {
        var retries = 0;
        await DeliveryHarness.WithStorageHeldByAnotherClientAsync(
            o => o.RetryDelayObserver = _ => Interlocked.Increment(ref retries),
            async h =>
            {
                h.Responder = _ => Task.FromException<HttpResponseMessage>(Refused());
                PushForUsers(h, users: 1, each: 5);
                h.Client.Dispatcher.RequestDrain();
                await h.AdvanceUntilAsync(() => Volatile.Read(ref retries) >= 1, TimeSpan.FromMilliseconds(50));

                h.Responder = _ => Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK));
                await h.RunAsync(h.Client.ShutdownAsync(), TimeSpan.FromMilliseconds(50));

                var statistics = h.AssertBalanced();
                statistics.Delivered.Should().Be(5);
                statistics.Dropped.Should().Be(0);
            });
    }

    private static async Task WithFolderAsync(Func<string, Task> test)
    {
        var folder = Path.Combine(Path.GetTempPath(), "growlytics-tests", Guid.NewGuid().ToString("N"));
        try
        {
            await test(folder);
        }
        finally
        {
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
    }

    // Enough for the 8 requests in flight at once to fail together and open the circuit (judged on 8 answers or more).
    private static void PushForUsers(DeliveryHarness h, int users, int each)
    {
        for (var n = 0; n < each; n++)
        {
            for (var user = 0; user < users; user++)
            {
                h.Push(n, anonymousId: "visitor-" + user);
            }
        }
    }

    private static HttpRequestException Refused() =>
        new("refused", new SocketException((int)SocketError.ConnectionRefused));
}
