namespace GrowlyticsSdk.Tests.Storage;

/// <summary>
/// A flush counts what it waits for while messages move (queue, storage writer, disk, staged), so a message on its way
/// may be counted twice: the count is too high, never too low. The storage writer also counts a take before it looks
/// at the queue, and for a moment counts a message the queue turns out not to have. Once nothing is unread and
/// everything read is settled (a message kept on disk counts as settled for flushes), such a flush must complete: it
/// must not wait for a message that never comes, whether a kept one waits for the service or the client is idle.
/// </summary>
public sealed class FlushWhileKeptTests : StorageTestBase
{
    [Fact]
    public async Task FlushCountedTooHigh_WhileAMessageIsKeptOnDisk_CompletesOnceNothingIsLeft()
    {
        // An outage: the message runs out of retries (none) and is kept on disk; its partition pauses for 30 s at a time.
        var collector = new StorageCollector { Up = false };
        var client = NewClient(collector);
        try
        {
            PushNumbers(client, 0, 1);
            var first = client.FlushAsync();
            await DriveUntilAsync(() => first.IsCompleted, TimeSpan.FromMilliseconds(100));
            collector.Attempts.Should().BeGreaterThan(0);
            client.Statistics.Pending.Should().Be(1, "the message is kept on disk");

            var flush = await FlushWhileTheWriterCountsATakeItDoesNotHaveAsync(client);

            // The kept message is tried every 30 s and kept again; nothing else comes.
            await DriveUntilAsync(() => flush.IsCompleted, TimeSpan.FromMilliseconds(500), () => $"Pending {client.Statistics.Pending}.");
            client.Statistics.Pending.Should().Be(1);
            client.Statistics.Delivered.Should().Be(0);
            ShouldBeBalanced(client.Statistics);
        }
        finally
        {
            await ShutDownAsync(client);
        }
    }

    [Fact]
    public async Task FlushCountedTooHigh_OnAnIdleRestClient_Completes()
    {
        // With REST an idle loop turns only at the next message (no batch waits to fill): the writer wakes it.
        var client = NewClient(new StorageCollector { Up = true }, o => o.Protocol = GrowlyticsProtocol.Rest);
        try
        {
            var flush = await FlushWhileTheWriterCountsATakeItDoesNotHaveAsync(client);

            await DriveUntilAsync(() => flush.IsCompleted, TimeSpan.FromMilliseconds(500));
            client.Statistics.Enqueued.Should().Be(0);
        }
        finally
        {
            await ShutDownAsync(client);
        }
    }

    /// <summary>
    /// Stops the storage writer, polling the empty queue, right after it counted its take; registers the dispatcher's
    /// flush then (its target counts one message too many) and lets the writer go on.
    /// </summary>
    private async Task<Task> FlushWhileTheWriterCountsATakeItDoesNotHaveAsync(GrowlyticsClient client)
    {
        using var counted = new ManualResetEventSlim();
        var release = new ManualResetEventSlim();
        var armed = 1;
        client.Memory.AfterWriterCounted = () =>
        {
            if (Interlocked.Exchange(ref armed, 0) == 1)
            {
                counted.Set();
                release.Wait(TimeSpan.FromSeconds(20));
            }
        };

        // The writer runs its turns inside the clock's Advance (a timer's continuation): moved on a pool thread, so the one
        // that stops in it is not this test's.
        var advancing = Task.CompletedTask;
        try
        {
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
            while (!counted.IsSet && DateTime.UtcNow < deadline)
            {
                if (advancing.IsCompleted)
                {
                    advancing = Task.Run(() => Time.Advance(TimeSpan.FromMilliseconds(100)));
                }

                await Task.Delay(5);
            }

            counted.IsSet.Should().BeTrue("the storage writer polls the queue at every commit");
            return client.Dispatcher.FlushAsync(CancellationToken.None);
        }
        finally
        {
            client.Memory.AfterWriterCounted = null;
            release.Set();
            await advancing;
            release.Dispose();
        }
    }

    // The shutdown's deadline runs on the fake clock: moved until it ends (a kept message stays in the folder).
    private async Task ShutDownAsync(GrowlyticsClient client)
    {
        var shutdown = client.ShutdownAsync();
        await DriveUntilAsync(() => shutdown.IsCompleted, TimeSpan.FromSeconds(1));
        await client.DisposeAsync();
    }
}
