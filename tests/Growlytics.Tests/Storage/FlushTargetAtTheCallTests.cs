using System.Net;
using System.Text;
using GrowlyticsSdk.TestSupport;

namespace GrowlyticsSdk.Tests.Storage;

/// <summary>
/// <c>FlushAsync</c> with <see cref="GrowlyticsOptions.StorageDirectory"/> waits for what was accepted before the call:
/// calls made while the storage writer is in a slow write, or that keep coming, are not waited for, whatever happens to
/// them (here their requests are held by the service until the end of the test).
/// </summary>
public sealed class FlushTargetAtTheCallTests : StorageTestBase
{
    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(100);

    [Theory]
    [InlineData(GrowlyticsProtocol.Batch)]
    [InlineData(GrowlyticsProtocol.Rest)]
    public async Task Flush_CallsMadeDuringASlowWrite_AreNotWaitedFor(GrowlyticsProtocol protocol)
    {
        using var firstInside = new ManualResetEventSlim();
        using var releaseFirst = new ManualResetEventSlim();
        using var secondInside = new ManualResetEventSlim();
        using var releaseSecond = new ManualResetEventSlim();
        var appends = 0;
        var collector = new NumberHoldingCollector(numbers => !numbers.Contains(0));
        await using var client = NewClient(new StorageCollector(), o =>
        {
            o.Protocol = protocol;
            o.HttpClient = new HttpClient(collector);
            o.BeforeStorageAppend = () =>
            {
                // The writer's first two appends wait, as for a slow disk.
                switch (Interlocked.Increment(ref appends))
                {
                    case 1:
                        firstInside.Set();
                        releaseFirst.Wait(TimeSpan.FromSeconds(30));
                        break;
                    case 2:
                        secondInside.Set();
                        releaseSecond.Wait(TimeSpan.FromSeconds(30));
                        break;
                }
            };
        });
        await DriveUntilAsync(() => client.Durable!.IsOwner, Step);

        try
        {
            // The writer takes call 0 and its write is slow; the flush is asked for, then call 1 comes.
            UpdateCustomerNumbers(client, 0, 1);
            await Task.Run(() => DriveUntilAsync(() => firstInside.IsSet, Step));
            var flush = client.FlushAsync();
            UpdateCustomerNumbers(client, 1, 1);

            // Call 0 is written and delivered; call 1 is written next (slowly: not before call 0 is delivered, so they go
            // in requests of their own), and the service holds its request.
            releaseFirst.Set();
            await Task.Run(() => DriveUntilAsync(() => secondInside.IsSet && collector.Delivered.Contains(0), Step));
            releaseSecond.Set();
            await Task.Run(() => DriveUntilAsync(() => collector.Held > 0, Step));

            (await Task.Run(() => DriveForAsync(() => flush.IsCompleted, TimeSpan.FromSeconds(3))))
                .Should().BeTrue("the flush waits for call 0 only, delivered; call 1 came after it");
            await flush;
            client.Statistics.Delivered.Should().Be(1);
        }
        finally
        {
            releaseFirst.Set();
            releaseSecond.Set();
            collector.Release();
        }

        await Task.Run(() => DriveUntilAsync(() => client.Statistics.Delivered == 2, Step));
        collector.Delivered.Should().BeEquivalentTo([0L, 1L]);
        ShouldBeBalanced(client.Statistics);
    }

    /// <summary>
    /// Calls keep coming, one each time the storage writer appends (so memory is never empty when a commit ends), and
    /// the service holds every request but call 0's: the flush asked for after call 0 returns once it is delivered.
    /// </summary>
    [Fact]
    public async Task Flush_WhileCallsKeepComingAndTheirRequestsAreHeld_ReturnsOnceWhatCameBeforeIsDelivered()
    {
        const int MostRounds = 5_000;
        var collector = new NumberHoldingCollector(numbers => !numbers.Contains(0));
        var rounds = 0;
        var stopped = 0;
        var gate = new object();
        GrowlyticsClient? pushing = null;
        await using var client = NewClient(new StorageCollector(), o =>
        {
            o.Protocol = GrowlyticsProtocol.Rest;
            o.HttpClient = new HttpClient(collector);
            o.BeforeStorageAppend = () =>
            {
                lock (gate)
                {
                    var round = Interlocked.Increment(ref rounds);
                    if (round < MostRounds && Volatile.Read(ref stopped) == 0 && Volatile.Read(ref pushing) is { } c)
                    {
                        UpdateCustomerNumbers(c, round, 1);
                        Thread.Sleep(1);
                    }
                }
            };
        });
        await DriveUntilAsync(() => client.Durable!.IsOwner, Step);

        try
        {
            UpdateCustomerNumbers(client, 0, 1);
            var flush = client.FlushAsync();
            Volatile.Write(ref pushing, client);

            (await Task.Run(() => DriveForAsync(() => flush.IsCompleted, TimeSpan.FromSeconds(5))))
                .Should().BeTrue("the flush waits for call 0 only (rounds {0}, delivered {1})", Volatile.Read(ref rounds), client.Statistics.Delivered);
            await flush;
            collector.Delivered.Should().Contain(0L);
        }
        finally
        {
            lock (gate)
            {
                Volatile.Write(ref stopped, 1);
            }

            collector.Release();
        }

        var last = Volatile.Read(ref rounds);
        var done = client.FlushAsync();
        await Task.Run(() => DriveUntilAsync(() => done.IsCompleted, Step));
        client.Statistics.Pending.Should().Be(0);
        collector.Delivered.Count.Should().Be((int)client.Statistics.Delivered);
        last.Should().BeLessThan(MostRounds);
        ShouldBeBalanced(client.Statistics);
    }

    /// <summary>
    /// The write a flush waits for fails (the disk is full): memory delivers call 0, handed back, and the calls made
    /// during the write; the flush waits for call 0 only.
    /// </summary>
    [Theory]
    [InlineData(GrowlyticsProtocol.Batch)]
    [InlineData(GrowlyticsProtocol.Rest)]
    public async Task Flush_WhenTheSlowWriteFails_WaitsForWhatCameBeforeInMemoryOnly(GrowlyticsProtocol protocol)
    {
        using var firstInside = new ManualResetEventSlim();
        using var releaseFirst = new ManualResetEventSlim();
        var appends = 0;
        var collector = new NumberHoldingCollector(numbers => !numbers.Contains(0));
        await using var client = NewClient(new StorageCollector(), o =>
        {
            o.Protocol = protocol;
            o.HttpClient = new HttpClient(collector);
            o.BeforeStorageAppend = () =>
            {
                if (Interlocked.Increment(ref appends) == 1)
                {
                    firstInside.Set();
                    releaseFirst.Wait(TimeSpan.FromSeconds(30));
                }
            };
            o.StorageAppendFault = _ => Volatile.Read(ref appends) == 1 ? new IOException("No space left on device (test).") : null;
        });
        await DriveUntilAsync(() => client.Durable!.IsOwner, Step);

        try
        {
            UpdateCustomerNumbers(client, 0, 1);
            await Task.Run(() => DriveUntilAsync(() => firstInside.IsSet, Step));
            var flush = client.FlushAsync();
            UpdateCustomerNumbers(client, 1, 3);

            // The write fails: call 0 goes back to memory, which delivers it and the calls after it.
            releaseFirst.Set();
            await Task.Run(() => DriveUntilAsync(() => collector.Delivered.Contains(0) && client.Statistics.Delivered + collector.Held >= 4, Step, () => $"delivered {client.Statistics.Delivered}, held {collector.Held}"));

            (await Task.Run(() => DriveForAsync(() => flush.IsCompleted, TimeSpan.FromSeconds(3))))
                .Should().BeTrue("the flush waits for call 0 only, delivered ({0} held)", collector.Held);
            await flush;
            client.Durable!.IsBuffer.Should().BeFalse("the disk failed a moment ago");
        }
        finally
        {
            releaseFirst.Set();
            collector.Release();
        }

        await Task.Run(() => DriveUntilAsync(() => client.Statistics.Delivered == 4, Step));
        collector.Delivered.Should().BeEquivalentTo([0L, 1L, 2L, 3L]);
        ShouldBeBalanced(client.Statistics);
    }

    /// <summary>Moves the fake clock in steps for up to <paramref name="bound"/> of real time; returns whether the condition held.</summary>
    private async Task<bool> DriveForAsync(Func<bool> condition, TimeSpan bound)
    {
        var deadline = DateTime.UtcNow + bound;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                return false;
            }

            Time.Advance(Step);
            await Task.Delay(5);
        }

        return true;
    }
}
