using System.Net;
using GrowlyticsSdk.TestSupport;

namespace GrowlyticsSdk.Tests.Storage;

/// <summary>
/// With storage, a batch whose retries run out is kept for later only while the service fails for everyone (an outage,
/// or offline). One that the service keeps refusing while it accepts the others is dropped as
/// <see cref="DropReason.RetriesExhausted"/>, as without storage: kept, it would be tried for ever, and the stored queue
/// could not move its acknowledged position past it, so after <c>ReadWindow</c> more records every user would wait.
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
        await using var client = NewClient(new StorageCollector(), o => o.HttpClient = new HttpClient(collector));
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
        lock (drops)
        {
            drops.Should().ContainSingle().Which.Reason.Should().Be(DropReason.RetriesExhausted);
        }

        client.Statistics.Pending.Should().Be(0);
        ShouldBeBalanced(client.Statistics);
    }

    [Fact]
    public async Task Outage_AfterManyDeliveries_WhatRunsOutOfRetriesIsKeptAndDeliveredWhenTheServiceIsBack()
    {
        var collector = new StorageCollector { Up = true };
        await using var client = NewClient(collector);
        PushNumbers(client, 0, 2000);
        var flush = client.FlushAsync();
        await DriveUntilAsync(() => flush.IsCompleted && client.Statistics.Delivered == 2000, TimeSpan.FromMilliseconds(100));

        // Down: every request fails. What runs out of retries is kept, tried again after its pause and kept again, though
        // the latest requests before the outage all succeeded.
        collector.Up = false;
        PushNumbers(client, 2000, 300);
        var attempts = collector.Attempts;
        flush = client.FlushAsync();
        await DriveUntilAsync(() => flush.IsCompleted && collector.Attempts > attempts + 9, TimeSpan.FromSeconds(5));
        client.Statistics.Dropped.Should().Be(0);

        collector.Up = true;
        await DriveUntilAsync(() => client.Statistics.Delivered == 2300, TimeSpan.FromSeconds(5));

        client.Statistics.Dropped.Should().Be(0);
        collector.Numbers.Should().HaveCount(2300);
        ShouldBeBalanced(client.Statistics);
    }

    private sealed class PoisonCollector : HttpMessageHandler
    {
        public int Refused;
        public int Delivered;

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var body = await request.Content!.ReadAsByteArrayAsync(cancellationToken);
            var messages = WireBody.BatchMessages(body);
            var poisoned = messages
                .SelectMany(m => m.GetProperty("attributes").EnumerateArray())
                .Any(a => a.GetProperty("name").GetString() == "n" && a.GetProperty("value").GetInt64() == Poison);
            if (poisoned)
            {
                Interlocked.Increment(ref Refused);
                return new HttpResponseMessage(HttpStatusCode.InternalServerError);
            }

            Interlocked.Add(ref Delivered, messages.Count);
            return new HttpResponseMessage(HttpStatusCode.OK);
        }
    }
}
