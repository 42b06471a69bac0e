using System.Net;
using GrowlyticsSdk.TestSupport;

namespace GrowlyticsSdk.Tests.Storage;

/// <summary>
/// With storage, a 413 splits a batch; when the first half runs out of retries it is kept (to be tried later), and the
/// second half must not be delivered before it: one user's messages would reach the service out of call order.
/// </summary>
public sealed class SplitKeptOrderTests : StorageTestBase
{
    [Fact]
    public async Task SplitBatch_FirstHalfKept_SecondHalfOfTheSameUserIsNotDeliveredBeforeIt()
    {
        var handler = new SplitThenFailFirstHandler();
        var client = NewClient(new StorageCollector(), o => o.HttpClient = new HttpClient(handler));
        try
        {
            await DriveUntilAsync(() => client.Durable!.IsOwner, TimeSpan.FromMilliseconds(100));

            // One user (one partition): 0 then 1, in one batch.
            PushNumbers(client, 0, 2);
            var flush = client.FlushAsync();
            await DriveUntilAsync(() => client.Statistics.Delivered == 2, TimeSpan.FromMilliseconds(500), () => $"accepted {string.Join(",", handler.Accepted)}; pending {client.Statistics.Pending}");

            handler.Accepted.Should().Equal([0L, 1L], "one user's messages arrive in call order");
        }
        finally
        {
            var shutdown = client.ShutdownAsync();
            await DriveUntilAsync(() => shutdown.IsCompleted, TimeSpan.FromSeconds(1));
            await client.DisposeAsync();
        }
    }

    private sealed class SplitThenFailFirstHandler : HttpMessageHandler
    {
        private readonly object _gate = new();
        private readonly List<long> _accepted = [];
        private int _refusedZero;

        public IReadOnlyList<long> Accepted
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
            var body = await request.Content!.ReadAsByteArrayAsync(cancellationToken);
            var numbers = WireBody.BatchMessages(body)
                .Select(m => m.GetProperty("attributes").EnumerateArray().First(a => a.GetProperty("name").GetString() == "n").GetProperty("value").GetInt64())
                .ToList();
            if (numbers.Count > 1)
            {
                return new HttpResponseMessage(HttpStatusCode.RequestEntityTooLarge);
            }

            if (numbers[0] == 0 && Interlocked.Exchange(ref _refusedZero, 1) == 0)
            {
                // A passing outage for the first half alone.
                return new HttpResponseMessage(HttpStatusCode.ServiceUnavailable);
            }

            lock (_gate)
            {
                _accepted.AddRange(numbers);
            }

            return new HttpResponseMessage(HttpStatusCode.OK);
        }
    }
}
