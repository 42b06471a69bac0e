using System.Net;
using System.Text;
using System.Text.Json;

namespace GrowlyticsSdk.Tests.Storage;

/// <summary>A REST fake: down (refused) or up; records (customer id, attribute names) of what it accepted; can answer 422.</summary>
internal sealed class StoredRestCollector : HttpMessageHandler
{
    private readonly object _gate = new();
    private readonly List<(string Path, string Id, string[] Names)> _accepted = [];

    public volatile bool Up;

    public Func<string, bool>? Reject422 { get; set; }

    public IReadOnlyList<(string Path, string Id, string[] Names)> Accepted
    {
        get
        {
            lock (_gate)
            {
                return [.. _accepted];
            }
        }
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (!Up)
        {
            throw new HttpRequestException("Connection refused (test collector is down).");
        }

        var body = await request.Content!.ReadAsByteArrayAsync(cancellationToken);
        var path = request.RequestUri!.AbsolutePath;
        if (path.EndsWith("rest-api/customer", StringComparison.Ordinal))
        {
            using var doc = JsonDocument.Parse(body);
            var id = doc.RootElement.GetProperty("id").GetString()!;
            var names = doc.RootElement.GetProperty("attributes").EnumerateArray().Select(a => a.GetProperty("name").GetString()!).ToArray();
            if (Reject422 is { } reject && reject(id))
            {
                return new HttpResponseMessage((HttpStatusCode)422)
                {
                    Content = new StringContent("{\"success\":false,\"errors\":[{\"path\":\"id\",\"type\":\"invalid\"}]}", Encoding.UTF8, "application/json"),
                };
            }

            lock (_gate)
            {
                _accepted.Add((path, id, names));
            }

            return new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent("{\"success\":true}", Encoding.UTF8, "application/json") };
        }

        // Batch: record each message (type:userId or anon).
        var messages = GrowlyticsSdk.TestSupport.WireBody.BatchMessages(body);
        lock (_gate)
        {
            foreach (var m in messages)
            {
                var user = m.TryGetProperty("userId", out var u) && u.ValueKind == JsonValueKind.String ? u.GetString()! : "(anon)";
                var type = m.GetProperty("type").GetString()!;
                var names = m.TryGetProperty("attributes", out var a) ? a.EnumerateArray().Select(x => x.GetProperty("name").GetString()!).ToArray() : [];
                _accepted.Add((type, user, names));
            }
        }

        return new HttpResponseMessage(HttpStatusCode.OK);
    }
}

/// <summary>
/// The REST protocol with <see cref="GrowlyticsOptions.StorageDirectory"/>: stored logins keep their calls (held pushes
/// included) across a restart, split logins go in order, a stored 422 is not sent again, a folder written under one
/// protocol is read under the other (what REST cannot send counted <see cref="DropReason.NotSupported"/>), kept upserts
/// are sent once each, and a <c>Batch</c> client taking over a folder a REST client left held pushes in sends them.
/// </summary>
public sealed class RestWithStorageTests : StorageTestBase
{
    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(50);

    private GrowlyticsClient Rest(StoredRestCollector c, Action<GrowlyticsOptions>? more = null) =>
        NewClient(new StorageCollector(), o =>
        {
            o.Protocol = GrowlyticsProtocol.Rest;
            o.HttpClient = new HttpClient(c);
            more?.Invoke(o);
        });

    private GrowlyticsClient Batch(StoredRestCollector c) =>
        NewClient(new StorageCollector(), o => o.HttpClient = new HttpClient(c));

    private static string Counts(GrowlyticsClient c) =>
        $"enq={c.Statistics.Enqueued} del={c.Statistics.Delivered} drop={c.Statistics.Dropped} pend={c.Statistics.Pending} restored={c.Statistics.Restored} " +
        string.Join(",", c.Statistics.DroppedByReason.Where(r => r.Value > 0).Select(r => r.Key + "=" + r.Value));

    [Fact]
    public async Task LoginCarryingThreeHeldPushes_StoredThenRestarted_CountsFourCalls()
    {
        var collector = new StoredRestCollector();
        await using (var first = Rest(collector))
        {
            first.User.Push(new Dictionary<string, object?> { ["a"] = 1 });
            first.User.Push(new Dictionary<string, object?> { ["b"] = 2 });
            first.User.Push(new Dictionary<string, object?> { ["c"] = 3 });
            first.User.Identify("u-1", new Dictionary<string, object?> { ["d"] = 4 });
            await StoredAsync(first);
            first.Statistics.Enqueued.Should().Be(4);
        }

        collector.Up = true;
        await using var second = Rest(collector);
        var flush = second.FlushAsync();
        await DriveUntilAsync(() => flush.IsCompleted, Step, () => Counts(second));
        second.Statistics.Restored.Should().Be(4, Counts(second));
        second.Statistics.Delivered.Should().Be(4, Counts(second));
        collector.Accepted.Should().ContainSingle();
        ShouldBeBalanced(second.Statistics);
    }

    [Fact]
    public async Task SplitLogin_StoredThenRestarted_BothPartsSentInOrder_CallsKept()
    {
        var collector = new StoredRestCollector();
        await using (var first = Rest(collector))
        {
            first.User.Push(Enumerable.Range(0, 60).ToDictionary(i => "h" + i, object? (i) => i));
            first.User.Push(new Dictionary<string, object?> { ["h0"] = 7 });
            first.User.Identify("u-1", Enumerable.Range(0, 60).ToDictionary(i => "l" + i, object? (i) => i));
            await StoredAsync(first);
        }

        collector.Up = true;
        await using var second = Rest(collector);
        var flush = second.FlushAsync();
        await DriveUntilAsync(() => flush.IsCompleted, Step, () => Counts(second));
        second.Statistics.Restored.Should().Be(3, Counts(second));
        second.Statistics.Delivered.Should().Be(3, Counts(second));
        collector.Accepted.Should().HaveCount(2);
        collector.Accepted.SelectMany(a => a.Names).Should().HaveCount(120);
        ShouldBeBalanced(second.Statistics);
    }

    [Fact]
    public async Task Stored422_RejectedWithItsCalls_NotSentAgainAtTheNextStart()
    {
        var collector = new StoredRestCollector();
        await using (var first = Rest(collector))
        {
            first.User.Push(new Dictionary<string, object?> { ["a"] = 1 });
            first.User.Push(new Dictionary<string, object?> { ["b"] = 2 });
            first.User.Identify("bad", new Dictionary<string, object?> { ["d"] = 4 });
            first.Customers.Update("good", new Dictionary<string, object?> { ["x"] = 1 });
            await StoredAsync(first);
        }

        collector.Up = true;
        collector.Reject422 = id => id == "bad";
        await using (var second = Rest(collector))
        {
            var flush = second.FlushAsync();
            await DriveUntilAsync(() => flush.IsCompleted, Step, () => Counts(second));
            second.Statistics.DroppedByReason[DropReason.Rejected].Should().Be(3, Counts(second));
            second.Statistics.Delivered.Should().Be(1, Counts(second));
            ShouldBeBalanced(second.Statistics);
        }

        collector.Reject422 = null;
        await using var third = Rest(collector);
        var flush3 = third.FlushAsync();
        await DriveUntilAsync(() => flush3.IsCompleted, Step, () => Counts(third));
        third.Statistics.Restored.Should().Be(0, Counts(third));
        collector.Accepted.Should().ContainSingle();
    }

    [Fact]
    public async Task BatchStoreReadUnderRest_AnonymousAndLogoutNotSupported_RestSent()
    {
        var collector = new StoredRestCollector();
        await using (var first = Batch(collector))
        {
            first.User.Push(new Dictionary<string, object?> { ["a"] = 1 });    // anonymous update: NotSupported
            first.User.Identify("u-1", new Dictionary<string, object?> { ["b"] = 2 }); // login: sent
            first.User.Push(new Dictionary<string, object?> { ["c"] = 3 });    // update: sent
            first.User.Identify("u-2");                                        // logout (NotSupported) + login without attrs (NotSupported)
            first.Customers.Update("c-1", new Dictionary<string, object?> { ["x"] = 1 }); // sent
            first.User.Logout();                                               // logout NotSupported
            await StoredAsync(first);
        }

        collector.Up = true;
        await using var second = Rest(collector);
        var flush = second.FlushAsync();
        await DriveUntilAsync(() => flush.IsCompleted, Step, () => Counts(second));
        second.Statistics.Delivered.Should().Be(3, Counts(second));
        second.Statistics.DroppedByReason[DropReason.NotSupported].Should().Be(4, Counts(second));
        collector.Accepted.Select(a => a.Id).Should().BeEquivalentTo(["u-1", "u-1", "c-1"]);
        ShouldBeBalanced(second.Statistics);
    }

    [Fact]
    public async Task RestStoreReadUnderBatch_EverythingSent_HeldSentAsAnonymous()
    {
        var collector = new StoredRestCollector();
        await using (var first = Rest(collector))
        {
            first.User.Push(new Dictionary<string, object?> { ["a"] = 1 });
            first.User.Identify("u-1", new Dictionary<string, object?> { ["b"] = 2 });
            first.User.Push(new Dictionary<string, object?> { ["c"] = 3 });
            first.Customers.Update("c-1", new Dictionary<string, object?> { ["x"] = 1 });
            first.User.Logout();
            first.User.Push(new Dictionary<string, object?> { ["h"] = 1 });
            first.User.Push(new Dictionary<string, object?> { ["i"] = 1 });
            await StoredAsync(first);
        }

        collector.Up = true;
        await using var second = Batch(collector);
        var flush = second.FlushAsync();
        await DriveUntilAsync(() => flush.IsCompleted, Step, () => Counts(second));
        second.Statistics.Restored.Should().Be(6, Counts(second));
        second.Statistics.Delivered.Should().Be(6, Counts(second));
        ShouldBeBalanced(second.Statistics);
    }

    [Fact]
    public async Task KeptAfterRetries_ThenServiceBack_EachSentOnceWithItsCalls()
    {
        var collector = new StoredRestCollector();
        await using var client = Rest(collector);
        client.User.Push(new Dictionary<string, object?> { ["a"] = 1 });
        client.User.Push(new Dictionary<string, object?> { ["b"] = 2 });
        client.User.Identify("u-1", new Dictionary<string, object?> { ["d"] = 4 });
        client.User.Push(new Dictionary<string, object?> { ["e"] = 5 });
        client.Customers.Update("u-1", new Dictionary<string, object?> { ["f"] = 6 });
        client.Customers.Update("c-2", new Dictionary<string, object?> { ["x"] = 1 });
        var flush = client.FlushAsync();
        await DriveUntilAsync(() => flush.IsCompleted, Step, () => Counts(client));
        client.Statistics.Pending.Should().Be(6, Counts(client));

        collector.Up = true;
        var flush2 = client.FlushAsync();
        await DriveUntilAsync(() => client.Statistics.Delivered == 6, TimeSpan.FromSeconds(5), () => Counts(client));
        collector.Accepted.Select(a => a.Id + ":" + string.Join("+", a.Names)).Where(x => x.StartsWith("u-1", StringComparison.Ordinal))
            .Should().Equal("u-1:a+b+d", "u-1:e", "u-1:f");
        collector.Accepted.Should().HaveCount(4);
        ShouldBeBalanced(client.Statistics);
    }

    [Fact]
    public async Task KeptAfterRetries_Restart_EachSentOnceInOrder()
    {
        var collector = new StoredRestCollector();
        await using (var client = Rest(collector))
        {
            client.User.Push(new Dictionary<string, object?> { ["a"] = 1 });
            client.User.Identify("u-1", new Dictionary<string, object?> { ["d"] = 4 });
            client.User.Push(new Dictionary<string, object?> { ["e"] = 5 });
            client.Customers.Update("u-1", new Dictionary<string, object?> { ["f"] = 6 });
            var flush = client.FlushAsync();
            await DriveUntilAsync(() => flush.IsCompleted, Step, () => Counts(client));
            await ShutDownDrivingAsync(client, Step);
            client.Statistics.Pending.Should().Be(4, Counts(client));
        }

        collector.Up = true;
        await using var second = Rest(collector);
        var f = second.FlushAsync();
        await DriveUntilAsync(() => f.IsCompleted, Step, () => Counts(second));
        second.Statistics.Restored.Should().Be(4, Counts(second));
        second.Statistics.Delivered.Should().Be(4, Counts(second));
        collector.Accepted.Select(a => a.Id + ":" + string.Join("+", a.Names)).Should().Equal("u-1:a+d", "u-1:e", "u-1:f");
    }

    [Fact]
    public async Task UpdateAsyncWithStorage_Rest_DeliveredAndRestoredOnce()
    {
        var collector = new StoredRestCollector();
        await using (var client = Rest(collector))
        {
            for (var i = 0; i < 20; i++)
            {
                await client.Customers.UpdateAsync("c-" + (i % 3), new Dictionary<string, object?> { ["n" + i] = i });
            }

            await StoredAsync(client);
        }

        collector.Up = true;
        await using var second = Rest(collector);
        var f = second.FlushAsync();
        await DriveUntilAsync(() => f.IsCompleted, Step, () => Counts(second));
        second.Statistics.Delivered.Should().Be(20, Counts(second));
        collector.Accepted.Should().HaveCount(20);
        foreach (var c in new[] { "c-0", "c-1", "c-2" })
        {
            var nums = collector.Accepted.Where(a => a.Id == c).Select(a => int.Parse(a.Names[0][1..], System.Globalization.CultureInfo.InvariantCulture)).ToList();
            nums.Should().BeInAscendingOrder();
        }
    }

    [Fact]
    public async Task BatchClientTakesOverFolderWhereRestHolderLeftHeldPushes_HeldSentOrKept()
    {
        var collector = new StoredRestCollector { Up = true };
        var first = Rest(collector);
        var logs = new RecordingLoggerFactory();
        var second = NewClient(new StorageCollector(), o => (o.HttpClient, o.LoggerFactory) = (new HttpClient(collector), logs));

        // Held by the REST holder after the Batch client started (it read no held pushes then).
        first.User.Push(new Dictionary<string, object?> { ["a"] = 1 });
        first.User.Push(new Dictionary<string, object?> { ["b"] = 2 });
        await first.DisposeAsync();
        first.Statistics.Pending.Should().Be(2, "left in the session file for the next start");

        await DriveUntilAsync(() => logs.Entries.Any(e => e.EventId == 4012), Step);
        second.User.Identify("u-9", new Dictionary<string, object?> { ["z"] = 1 });
        var flush = second.FlushAsync();
        await DriveUntilAsync(() => flush.IsCompleted, Step, () => Counts(second));
        await second.DisposeAsync();

        await using var third = Rest(collector);
        var sent = collector.Accepted.Count(a => a.Names.Contains("a"));
        (sent + third.Statistics.Pending).Should().BeGreaterThan(0, "the held pushes are sent by the Batch client or still held; {0}; {1}", Counts(second), Counts(third));
    }
}
