using System.Net;
using GrowlyticsSdk.TestSupport;

namespace GrowlyticsSdk.Tests.Storage;

/// <summary>
/// With storage as the buffer, a message the writer cannot store (larger than a record may be) is handed back to memory,
/// which delivers it. The loop reads the disk before memory: the user's messages written before it must be on the disk
/// before it is handed back, and those after it must follow it from memory until it is read, or they would be sent
/// first. Other users' messages go on to the disk meanwhile.
/// </summary>
public sealed class HandedBackOrderTests : StorageTestBase
{
    [Fact]
    public async Task MessageHandedBackByTheWriter_AndTheNextOneStored_ArriveInCallOrder()
    {
        var handler = new NumberHandler();
        using var loopHeld = new ManualResetEventSlim();
        using var releaseLoop = new ManualResetEventSlim();
        var client = NewClient(new StorageCollector(), o =>
        {
            o.HttpClient = new HttpClient(handler);
            o.MaxStorageBytes = 64 * 1024;
        });
        try
        {
            await DriveUntilAsync(() => client.Durable!.IsOwner, TimeSpan.FromMilliseconds(100));

            // The loop is held in a MessageDropped handler (a 422 for another customer) while the user's two calls are
            // taken by the storage writer.
            client.MessageDropped += (_, _) =>
            {
                loopHeld.Set();
                releaseLoop.Wait(TimeSpan.FromSeconds(30));
            };
            client.Customers.Update("refused", new Dictionary<string, object?> { ["n"] = -1 });

            // The clock is moved on a pool thread: the loop may go on inside its Advance, and is held there.
            var driving = Task.Run(() => DriveUntilAsync(() => loopHeld.IsSet, TimeSpan.FromMilliseconds(100)));
            loopHeld.Wait(TimeSpan.FromSeconds(30)).Should().BeTrue();

            // 0: too large for a record of a 64 KB folder (memory delivers it); 1: small, stored.
            var big = new Dictionary<string, object?> { ["n"] = 0 };
            for (var i = 0; i < 120; i++)
            {
                big["a" + i] = new string('x', 500);
            }

            client.User.Push(big);
            client.User.Push(new Dictionary<string, object?> { ["n"] = 1 });
            var written = client.Durable!.FlushAsync(CancellationToken.None);
            await DriveUntilAsync(() => written.IsCompleted, TimeSpan.FromMilliseconds(100));
            releaseLoop.Set();
            await driving;

            var flush = client.FlushAsync();
            await DriveUntilAsync(() => flush.IsCompleted && client.Statistics.Delivered == 2, TimeSpan.FromMilliseconds(500), () => $"accepted {string.Join(",", handler.Accepted)}");
            handler.Accepted.Should().Equal([0L, 1L], "one user's messages arrive in call order");
        }
        finally
        {
            releaseLoop.Set();
            var shutdown = client.ShutdownAsync();
            await DriveUntilAsync(() => shutdown.IsCompleted, TimeSpan.FromSeconds(1));
            await client.DisposeAsync();
        }
    }

    [Fact]
    public async Task MessageHandedBackByTheWriter_TheUsersMessagesAroundItStayInOrder_OtherUsersAreStillStored()
    {
        var handler = new NumberHandler();
        using var loopHeld = new ManualResetEventSlim();
        using var releaseLoop = new ManualResetEventSlim();
        var client = NewClient(new StorageCollector(), o =>
        {
            o.HttpClient = new HttpClient(handler);
            o.MaxStorageBytes = 64 * 1024;
        });
        try
        {
            await DriveUntilAsync(() => client.Durable!.IsOwner, TimeSpan.FromMilliseconds(100));
            client.MessageDropped += (_, _) =>
            {
                loopHeld.Set();
                releaseLoop.Wait(TimeSpan.FromSeconds(30));
            };
            client.Customers.Update("refused", new Dictionary<string, object?> { ["n"] = -1 });
            var driving = Task.Run(() => DriveUntilAsync(() => loopHeld.IsSet, TimeSpan.FromMilliseconds(100)));
            loopHeld.Wait(TimeSpan.FromSeconds(30)).Should().BeTrue();

            // The user: 0 (stored), 1 (too large: memory delivers it), 2 and 3 (after it); another customer's 100 between.
            client.User.Push(new Dictionary<string, object?> { ["n"] = 0 });
            client.User.Push(Large(1));
            client.User.Push(new Dictionary<string, object?> { ["n"] = 2 });
            client.Customers.Update("other", new Dictionary<string, object?> { ["n"] = 100 });
            client.User.Push(new Dictionary<string, object?> { ["n"] = 3 });
            var written = client.Durable!.FlushAsync(CancellationToken.None);
            await DriveUntilAsync(() => written.IsCompleted, TimeSpan.FromMilliseconds(100));

            client.Durable!.Unread.Should().Be(2, "the user's 0 and the other customer's 100 were stored; 1, 2 and 3 wait in memory, in order");
            releaseLoop.Set();
            await driving;

            var flush = client.FlushAsync();
            await DriveUntilAsync(() => flush.IsCompleted && client.Statistics.Delivered == 5, TimeSpan.FromMilliseconds(500), () => $"accepted {string.Join(",", handler.Accepted)}");
            handler.Accepted.Where(n => n < 100).Should().Equal([0L, 1L, 2L, 3L], "one user's messages arrive in call order");
            handler.Accepted.Should().Contain(100L);

            // Once 3 was read, the user's next messages go to the disk again.
            client.Memory.WaitingUsers.Should().Be(0);
        }
        finally
        {
            releaseLoop.Set();
            var shutdown = client.ShutdownAsync();
            await DriveUntilAsync(() => shutdown.IsCompleted, TimeSpan.FromSeconds(1));
            await client.DisposeAsync();
        }
    }

    private static Dictionary<string, object?> Large(int n)
    {
        var large = new Dictionary<string, object?> { ["n"] = n };
        for (var i = 0; i < 120; i++)
        {
            large["a" + i] = new string('x', 500);
        }

        return large;
    }

    private sealed class NumberHandler : HttpMessageHandler
    {
        private readonly object _gate = new();
        private readonly List<long> _accepted = [];

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
            if (numbers.Contains(-1))
            {
                return new HttpResponseMessage(HttpStatusCode.UnprocessableEntity);
            }

            lock (_gate)
            {
                _accepted.AddRange(numbers);
            }

            return new HttpResponseMessage(HttpStatusCode.OK);
        }
    }
}
