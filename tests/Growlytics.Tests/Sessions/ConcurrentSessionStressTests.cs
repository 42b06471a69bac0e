using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using GrowlyticsSdk.TestSupport;
using Xunit.Abstractions;

namespace GrowlyticsSdk.Tests.Sessions;

/// <summary>
/// Many threads on one process-wide user (and on scopes, customers, flushes, statistics and the privacy calls), with a
/// shutdown racing them at the end, against an in-process collector that fails some requests: each thread's calls for
/// one user arrive in its call order, a push made after <c>Identify(X)</c> returned on the same thread (with no other
/// thread changing the session) goes to X, no call throws but the documented ones, nothing hangs, and every call is
/// counted (enqueued = delivered + dropped, nothing left pending).
/// </summary>
public sealed class ConcurrentSessionStressTests(ITestOutputHelper output)
{
    private const int Threads = 4;
    private static readonly TimeSpan RunFor = TimeSpan.FromMilliseconds(1200);
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    [Theory]
    [InlineData(GrowlyticsProtocol.Rest, 11, false)]
    [InlineData(GrowlyticsProtocol.Rest, 12, true)]
    [InlineData(GrowlyticsProtocol.Batch, 11, false)]
    [InlineData(GrowlyticsProtocol.Batch, 12, true)]
    public async Task ManyThreads_OneProcessWideUser_OrderIdentityAndCountsHold(GrowlyticsProtocol protocol, int seed, bool storage)
    {
        using var collector = new Collector(protocol, seed);
        var folder = Path.Combine(Path.GetTempPath(), "growlytics-tests", Guid.NewGuid().ToString("N"));
        try
        {
            await RunAsync(collector, protocol, seed, storage ? folder : null);
        }
        finally
        {
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
    }

    private async Task RunAsync(Collector collector, GrowlyticsProtocol protocol, int seed, string? folder)
    {
        var client = new GrowlyticsClient(new GrowlyticsOptions
        {
            ApiKey = "gk_stress_key_0123456789",
            Endpoint = new Uri("https://collector.test/"),
            Protocol = protocol,
            HttpClient = new HttpClient(collector),
            SessionMode = SessionMode.ProcessWide,
            FlushOnProcessExit = false,
            FlushInterval = TimeSpan.FromMilliseconds(5),
            RetryBaseDelay = TimeSpan.FromMilliseconds(1),
            MaxRetryDelay = TimeSpan.FromMilliseconds(5),
            MaxRetryAttempts = 30,
            ShutdownTimeout = TimeSpan.FromSeconds(5),
            StorageDirectory = folder,
            StorageCommitInterval = TimeSpan.FromMilliseconds(5),

            // Small: calls are refused for room (QueueFull) and UpdateAsync waits for it.
            MaxQueueSize = 200,
        });
        var baton = new SemaphoreSlim(1, 1);

        // Opting out refuses a login: flows that check where their pushes went do not overlap an opt-out.
        using var privacy = new ReaderWriterLockSlim();
        var expected = new ConcurrentDictionary<long, string>();
        var unexpected = new ConcurrentQueue<Exception>();
        var statisticsFaults = new ConcurrentQueue<string>();
        long holderSeq = 0;
        var stop = 0;
        var shutdownBegun = 0;

        void Work(int t)
        {
            var random = new Random((seed * 100) + t);
            long seq = 0;
            long lastEnqueued = 0, lastDelivered = 0, lastDropped = 0;
            while (Volatile.Read(ref stop) == 0)
            {
                try
                {
                    var roll = random.Next(1000);
                    if (roll < 400)
                    {
                        client.User.Push(new Dictionary<string, object?> { [$"t{t}"] = ++seq });
                    }
                    else if (roll < 550)
                    {
                        client.Customers.Update($"c-{t}-{random.Next(3)}", new Dictionary<string, object?> { [$"t{t}"] = ++seq });
                        client.Customers.Update("c-shared", new Dictionary<string, object?> { [$"t{t}"] = ++seq });
                    }
                    else if (roll < 650)
                    {
                        // A scope of this flow's own: its user never sees the process-wide session's calls, nor they its.
                        privacy.EnterReadLock();
                        using var read = new Releaser(privacy.ExitReadLock);
                        using (client.BeginScope())
                        {
                            var scoped = $"s-{t}-{seq}";
                            client.User.Push(new Dictionary<string, object?> { [$"t{t}"] = ++seq });
                            client.User.Identify(scoped, new Dictionary<string, object?> { [$"t{t}"] = ++seq });
                            client.User.Push(new Dictionary<string, object?> { [$"t{t}"] = ++seq, ["scope"] = scoped });
                            client.User.Logout();
                        }
                    }
                    else if (roll < 680)
                    {
                        client.Customers.UpdateAsync($"c-{t}-{random.Next(3)}", new Dictionary<string, object?> { [$"t{t}"] = ++seq }).AsTask().Wait(Bound).Should().BeTrue("a call waiting for room gets it");
                    }
                    else if (roll < 750)
                    {
                        var s = client.Statistics;
                        if (s.Enqueued < lastEnqueued || s.Delivered < lastDelivered || s.Dropped < lastDropped)
                        {
                            statisticsFaults.Enqueue($"went back: {lastEnqueued}/{lastDelivered}/{lastDropped} to {s.Enqueued}/{s.Delivered}/{s.Dropped}");
                        }

                        (lastEnqueued, lastDelivered, lastDropped) = (s.Enqueued, s.Delivered, s.Dropped);
                    }
                    else if (roll < 770)
                    {
                        client.FlushAsync().Wait(Bound).Should().BeTrue("a flush ends");
                    }
                    else if (roll < 772)
                    {
                        privacy.EnterWriteLock();
                        try
                        {
                            client.OptOut();
                            client.User.Push(new Dictionary<string, object?> { [$"t{t}"] = ++seq });
                            client.OptIn();
                        }
                        finally
                        {
                            privacy.ExitWriteLock();
                        }
                    }
                    else if (baton.Wait(0))
                    {
                        // The one thread that changes the process-wide session for now.
                        privacy.EnterReadLock();
                        try
                        {
                            var user = $"u-{t}-{random.Next(5)}";
                            if (random.Next(200) == 0)
                            {
                                client.DeleteLocalDataAsync().Wait(Bound).Should().BeTrue("a deletion ends");
                            }

                            client.User.Identify(user, new Dictionary<string, object?> { [$"t{t}"] = ++seq });
                            for (var i = random.Next(4); i > 0; i--)
                            {
                                var h = Interlocked.Increment(ref holderSeq);
                                expected[h] = user;
                                client.User.Push(new Dictionary<string, object?> { ["h"] = h, [$"t{t}"] = ++seq });
                            }

                            if (random.Next(2) == 0)
                            {
                                client.User.Logout();
                            }
                        }
                        finally
                        {
                            privacy.ExitReadLock();
                            baton.Release();
                        }
                    }
                }
                catch (Exception ex) when (ex is ObjectDisposedException or AggregateException { InnerException: ObjectDisposedException } && Volatile.Read(ref shutdownBegun) == 1)
                {
                    // Documented: the privacy calls once the shutdown has begun (DeleteLocalDataAsync) or completed.
                }
                catch (Exception ex)
                {
                    unexpected.Enqueue(ex);
                    return;
                }
            }
        }

        var workers = Enumerable.Range(0, Threads)
            .Select(t => Task.Factory.StartNew(() => Work(t), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default))
            .ToArray();
        await Task.Delay(RunFor);
        Volatile.Write(ref shutdownBegun, 1);
        var shutdown = client.ShutdownAsync();
        await Task.Delay(50);
        Volatile.Write(ref stop, 1);
        var all = Task.WhenAll(workers);
        (await Task.WhenAny(all, Task.Delay(Bound))).Should().BeSameAs(all, "no call hangs");
        (await Task.WhenAny(shutdown, Task.Delay(Bound))).Should().BeSameAs(shutdown, "the shutdown ends");
        await shutdown;

        unexpected.Should().BeEmpty("no call throws but the documented ones");
        statisticsFaults.Should().BeEmpty("running totals never go back");
        GrowlyticsStatistics stats;
        if (folder is not null)
        {
            // What the shutdown could not deliver within ShutdownTimeout is kept for the next start (stored, or pushes held
            // for a login in the session file): pending, not dropped.
            stats = client.Statistics;
            stats.Enqueued.Should().Be(stats.Delivered + stats.Dropped + stats.Pending, "every accepted call is delivered, dropped with a reason or kept for the next start");
        }
        else
        {
            var settled = SpinWait.SpinUntil(() => client.Statistics.Pending == 0, Bound);
            stats = client.Statistics;
            settled.Should().BeTrue($"nothing stays pending after the shutdown without storage: {stats.Pending}");
            stats.Enqueued.Should().Be(stats.Delivered + stats.Dropped, "every accepted call is delivered or dropped with a reason");
        }
        stats.DroppedByReason.Where(d => d.Value > 0).Select(d => d.Key).Should().BeSubsetOf([DropReason.OptedOut, DropReason.Shutdown, DropReason.QueueFull]);

        output.WriteLine($"enqueued {stats.Enqueued}, delivered {stats.Delivered}, dropped {string.Join(", ", stats.DroppedByReason.Where(d => d.Value > 0))}");
        var received = collector.Received;
        received.Should().NotBeEmpty();
        if (protocol == GrowlyticsProtocol.Batch)
        {
            received.Select(r => r.MessageId).Should().OnlyHaveUniqueItems("a message is delivered once");
            received.Should().HaveCount((int)stats.Delivered, "each delivered call is one message the collector accepted");
        }

        // Each thread's values for one key (customer id with REST, session with Batch) arrive in its call order.
        foreach (var byKey in received.GroupBy(r => r.Key))
        {
            foreach (var name in byKey.SelectMany(r => r.Attributes.Keys).Distinct().Where(n => n.StartsWith('t')))
            {
                var values = byKey.OrderBy(r => r.Arrival).Where(r => r.Attributes.ContainsKey(name)).Select(r => long.Parse(r.Attributes[name])).ToList();
                values.Should().BeInAscendingOrder($"{name}'s calls for {byKey.Key} arrive in call order");
                values.Should().OnlyHaveUniqueItems($"{name}'s calls for {byKey.Key} arrive once");
            }
        }

        // A push made after Identify(X) returned, with no other thread changing the session, goes to X.
        foreach (var r in received.Where(r => r.Attributes.ContainsKey("h")))
        {
            var h = long.Parse(r.Attributes["h"]);
            if (expected.TryGetValue(h, out var user) && r.Type == "update" && r.Attributes.Count == 2)
            {
                r.UserId.Should().Be(user, $"push h={h} came after Identify({user}) returned on its thread");
            }
        }

        // A scope's calls reach the scope's user only.
        received.Where(r => r.Attributes.TryGetValue("scope", out _)).Should().OnlyContain(r => r.UserId == r.Attributes["scope"]);
    }

    private sealed class Releaser(Action release) : IDisposable
    {
        public void Dispose() => release();
    }

    private sealed record Received(long Arrival, string Key, string Type, string? UserId, string? MessageId, IReadOnlyDictionary<string, string> Attributes);

    private sealed class Collector : HttpMessageHandler
    {
        private readonly GrowlyticsProtocol _protocol;
        private readonly Random _faults;
        private readonly ConcurrentQueue<Received> _received = new();
        private long _arrivals;

        public Collector(GrowlyticsProtocol protocol, int seed)
        {
            _protocol = protocol;
            _faults = new Random(seed);
        }

        public IReadOnlyList<Received> Received => _received.OrderBy(r => r.Arrival).ToList();

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var body = await request.Content!.ReadAsByteArrayAsync(cancellationToken);
            var arrival = Interlocked.Increment(ref _arrivals);
            bool fail;
            lock (_faults)
            {
                fail = _faults.Next(10) == 0;
            }

            if (fail)
            {
                return new HttpResponseMessage(HttpStatusCode.ServiceUnavailable);
            }

            if (_protocol == GrowlyticsProtocol.Rest)
            {
                var customer = WireBody.RestCustomer(body);
                var id = customer.GetProperty("id").GetString()!;
                _received.Enqueue(new Received(arrival, id, "update", id, null, WireBody.Attributes(customer)));
                return new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent("{\"success\":true}") };
            }

            foreach (var message in WireBody.BatchMessages(body))
            {
                var userId = message.TryGetProperty("userId", out var u) && u.ValueKind == JsonValueKind.String ? u.GetString() : null;
                var anonymousId = message.TryGetProperty("anonymousId", out var a) && a.ValueKind == JsonValueKind.String ? a.GetString() : null;
                _received.Enqueue(new Received(
                    arrival,
                    anonymousId ?? "customer:" + userId,
                    message.GetProperty("type").GetString()!,
                    userId,
                    message.GetProperty("messageId").GetString(),
                    WireBody.Attributes(message)));
            }

            return new HttpResponseMessage(HttpStatusCode.OK);
        }
    }
}
