using System.Net;
using GrowlyticsSdk.TestSupport;

namespace GrowlyticsSdk.Tests.Storage;

/// <summary>
/// With storage, a batch whose retries run out is kept and tried again later. The stored queue cannot move its
/// acknowledged position past a kept message: once <c>ReadWindow</c> later records were read it hands out nothing more
/// and every user waits. A kept message refused again then, while the service accepted other requests since it was first
/// kept, is dropped as <see cref="DropReason.RetriesExhausted"/>; in an outage (nothing accepted), or while the queue
/// does not wait for it, it stays kept.
/// </summary>
public sealed class RefusedWithStorageTests : StorageTestBase
{
    private const long Poison = 99_999;
    private static readonly TimeSpan Step = TimeSpan.FromSeconds(1);

    [Fact]
    public async Task MessageTheServiceAlwaysRefuses_WhileItAcceptsOthers_IsDroppedAndDoesNotStopTheOthers()
    {
        var collector = new PoisonCollector();
        var drops = new List<MessageDroppedEventArgs>();
        var logs = new RecordingLoggerFactory();
        await using var client = NewClient(new StorageCollector(), o =>
        {
            o.HttpClient = new HttpClient(collector);
            o.LoggerFactory = logs;
        });
        client.MessageDropped += (_, e) =>
        {
            lock (drops)
            {
                drops.Add(e);
            }
        };

        // Alone in its request first: refused, and nothing was delivered yet, so nothing says it is not an outage: kept.
        using (client.BeginScope())
        {
            client.User.Push(new Dictionary<string, object?> { ["n"] = Poison });
        }

        var first = client.FlushAsync();
        await DriveUntilAsync(() => first.IsCompleted && collector.Refused > 0, TimeSpan.FromMilliseconds(50));
        client.Statistics.Dropped.Should().Be(0, "a refusal with no other request delivered looks like an outage");

        // More than the read window of other messages: all delivered; the refused one is dropped when tried again.
        const int Others = 20_000;
        PushNumbers(client, 0, Others);
        var flush = client.FlushAsync();
        await DriveUntilAsync(() => flush.IsCompleted && client.Statistics.Delivered == Others && client.Statistics.Dropped == 1, Step);

        collector.Delivered.Should().Be(Others);
        logs.Entries.Should().ContainSingle(e => e.EventId == 2014, "the drop is reported");
        lock (drops)
        {
            drops.Should().ContainSingle().Which.Reason.Should().Be(DropReason.RetriesExhausted);
        }

        client.Statistics.Pending.Should().Be(0);
        ShouldBeBalanced(client.Statistics);
    }

    [Fact]
    public async Task MessageRefusedForAWhile_WhileTheStoredQueueDoesNotWaitForIt_IsKeptAndDeliveredOnceAccepted()
    {
        var collector = new PoisonCollector();
        await using var client = NewClient(new StorageCollector(), o => o.HttpClient = new HttpClient(collector));
        using (client.BeginScope())
        {
            client.User.Push(new Dictionary<string, object?> { ["n"] = Poison });
        }

        var flush = client.FlushAsync();
        await DriveUntilAsync(() => flush.IsCompleted && collector.Refused > 0, TimeSpan.FromMilliseconds(50));

        // Others are delivered meanwhile (far fewer than the read window), and it is refused again at every try.
        PushNumbers(client, 0, 2000);
        await DriveUntilAsync(() => client.Statistics.Delivered == 2000 && collector.Refused >= 4, Step);
        client.Statistics.Dropped.Should().Be(0, "the stored queue does not wait for it: it is kept");

        collector.AcceptPoison = true;
        await DriveUntilAsync(() => client.Statistics.Delivered == 2001, Step);
        client.Statistics.Dropped.Should().Be(0);
        ShouldBeBalanced(client.Statistics);
    }

    [Fact]
    public async Task Outage_AfterManyDeliveries_WhatRunsOutOfRetriesIsKeptAndDeliveredWhenTheServiceIsBack()
    {
        var collector = new StorageCollector { Up = true };

        // Enough requests at once that the loop stages more than the read window: the stored queue waits for kept ones.
        await using var client = NewClient(collector, o => o.MaxConcurrentRequests = 32);
        PushNumbers(client, 0, 2000);
        var flush = client.FlushAsync();
        await DriveUntilAsync(() => flush.IsCompleted && client.Statistics.Delivered == 2000, TimeSpan.FromMilliseconds(100));

        // Down: every request fails. What runs out of retries is kept, tried again after its pause and kept again, though
        // requests were accepted before the outage and the stored queue waits for them.
        collector.Up = false;
        PushToCustomers(client, 2000, 20_000);
        flush = client.FlushAsync();
        await DriveUntilAsync(() => flush.IsCompleted, TimeSpan.FromSeconds(5));

        // 200 s: kept requests are tried again after their 30 s pauses (as the circuit breaker lets them) and refused.
        for (var i = 0; i < 40; i++)
        {
            Time.Advance(TimeSpan.FromSeconds(5));
            await Task.Delay(10);
        }

        client.Statistics.Dropped.Should().Be(0);

        collector.Up = true;
        await DriveUntilAsync(() => client.Statistics.Delivered == 22_000, TimeSpan.FromSeconds(5));

        client.Statistics.Dropped.Should().Be(0);
        collector.Numbers.Should().HaveCount(22_000);
        ShouldBeBalanced(client.Statistics);
    }

    // For many customers, so their requests go several at a time.
    private static void PushToCustomers(GrowlyticsClient client, int from, int count)
    {
        for (var n = from; n < from + count; n++)
        {
            client.Customers.Update("customer-" + (n % 500), new Dictionary<string, object?> { ["n"] = n });
        }
    }

    private sealed class PoisonCollector : HttpMessageHandler
    {
        public int Refused;
        public int Delivered;
        public volatile bool AcceptPoison;

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var body = await request.Content!.ReadAsByteArrayAsync(cancellationToken);
            var messages = WireBody.BatchMessages(body);
            var poisoned = messages
                .SelectMany(m => m.GetProperty("attributes").EnumerateArray())
                .Any(a => a.GetProperty("name").GetString() == "n" && a.GetProperty("value").GetInt64() == Poison);
            if (poisoned && !AcceptPoison)
            {
                Interlocked.Increment(ref Refused);
                return new HttpResponseMessage(HttpStatusCode.InternalServerError);
            }

            Interlocked.Add(ref Delivered, messages.Count);
            return new HttpResponseMessage(HttpStatusCode.OK);
        }
    }
}
