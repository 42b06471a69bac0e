using System.Net;
using GrowlyticsSdk.TestSupport;

namespace GrowlyticsSdk.Tests.Storage;

/// <summary>
/// With storage, kept messages (out of retries) pause their partitions; the loop wakes when the earliest pause ends. A
/// short pause (the request's own failure: <see cref="GrowlyticsOptions.RetryBaseDelay"/>) that begins while a long one
/// (<see cref="GrowlyticsOptions.MaxRetryDelay"/>) is already waiting must wake it at its own end. With REST nothing else
/// wakes an idle loop (no batch waits to fill), so the test tells the two apart.
/// </summary>
public sealed class KeptPauseTimerTests : StorageTestBase
{
    [Fact]
    public async Task ShortPauseAfterALongOne_EndsOnTime()
    {
        var collector = new RestCustomerCollector();
        await using var client = NewClient(new StorageCollector(), o =>
        {
            o.Protocol = GrowlyticsProtocol.Rest;
            o.HttpClient = new HttpClient(collector);
        });

        // A customer the service always refuses, with nothing delivered yet (an outage, as far as the client knows):
        // kept, paused for MaxRetryDelay (30 s).
        client.Customers.Update("always-refused", new Dictionary<string, object?> { ["n"] = 1 });
        _ = client.FlushAsync();
        await DriveUntilAsync(() => collector.RefusedOf("always-refused") == 1, TimeSpan.FromMilliseconds(10));

        // Others delivered, then one customer refused once while others succeed: kept, paused for RetryBaseDelay.
        Update(client, 0, 200);
        var flush = client.FlushAsync();
        await DriveUntilAsync(() => flush.IsCompleted && collector.Delivered == 200, TimeSpan.FromMilliseconds(10));
        collector.HoldRefusalUntilDelivered = 300;
        client.Customers.Update("refused-once", new Dictionary<string, object?> { ["n"] = 2 });
        Update(client, 200, 200);
        _ = client.FlushAsync();
        await DriveUntilAsync(() => collector.RefusedOf("refused-once") == 1, TimeSpan.FromMilliseconds(10));
        var keptAt = Time.GetUtcNow();
        (keptAt - Start).Should().BeLessThan(TimeSpan.FromSeconds(10), "the long pause is still running");

        await DriveUntilAsync(() => collector.AcceptedOf("refused-once") == 1, TimeSpan.FromMilliseconds(10));

        (Time.GetUtcNow() - keptAt).Should().BeLessThan(TimeSpan.FromSeconds(5), "the short pause wakes the loop at its own end, not the long one's");
        collector.AcceptedOf("always-refused").Should().Be(0);
    }

    private DateTimeOffset Start { get; } = new(2026, 1, 5, 10, 0, 0, TimeSpan.Zero);

    private static void Update(GrowlyticsClient client, int from, int count)
    {
        for (var n = from; n < from + count; n++)
        {
            client.Customers.Update("customer-" + (n % 100), new Dictionary<string, object?> { ["n"] = n });
        }
    }

    /// <summary>
    /// REST: one customer per request. Refuses "always-refused" always and "refused-once" once (holding that refusal, in
    /// real time, until <see cref="HoldRefusalUntilDelivered"/> others were accepted); accepts the rest.
    /// </summary>
    private sealed class RestCustomerCollector : HttpMessageHandler
    {
        private readonly Dictionary<string, (int Refused, int Accepted)> _seen = [];

        public int Delivered;

        public volatile int HoldRefusalUntilDelivered;

        public int RefusedOf(string id) => Seen(id).Refused;

        public int AcceptedOf(string id) => Seen(id).Accepted;

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var body = await request.Content!.ReadAsByteArrayAsync(cancellationToken);
            var gzip = request.Content.Headers.ContentEncoding.Contains("gzip");
            var id = WireBody.RestCustomer(body, gzip).GetProperty("id").GetString()!;
            var refuse = id == "always-refused" || (id == "refused-once" && Seen(id).Refused == 0);
            if (refuse && id == "refused-once")
            {
                var held = System.Diagnostics.Stopwatch.StartNew();
                while (Volatile.Read(ref Delivered) < HoldRefusalUntilDelivered && held.Elapsed < TimeSpan.FromSeconds(10))
                {
                    await Task.Delay(5, cancellationToken);
                }
            }

            lock (_seen)
            {
                var (refused, accepted) = _seen.TryGetValue(id, out var counts) ? counts : (0, 0);
                _seen[id] = refuse ? (refused + 1, accepted) : (refused, accepted + 1);
            }

            if (refuse)
            {
                return new HttpResponseMessage(HttpStatusCode.ServiceUnavailable);
            }

            if (id.StartsWith("customer-", StringComparison.Ordinal))
            {
                Interlocked.Increment(ref Delivered);
            }

            return new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent("{\"success\":true}") };
        }

        private (int Refused, int Accepted) Seen(string id)
        {
            lock (_seen)
            {
                return _seen.TryGetValue(id, out var counts) ? counts : (0, 0);
            }
        }
    }
}
