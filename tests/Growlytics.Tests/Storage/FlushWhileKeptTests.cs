namespace GrowlyticsSdk.Tests.Storage;

/// <summary>
/// A flush counts what it waits for while messages move (queue, storage writer, disk, staged), so a message on its way
/// may be counted twice: the count is too high, never too low. The storage writer also counts a take before it looks
/// at the queue, and for a moment counts a message the queue turns out not to have. Once nothing is unread and
/// everything read is settled (a message kept on disk counts as settled for flushes), such a flush must complete: it
/// must not wait for a message that never comes while a kept one waits for the service to come back.
/// </summary>
public sealed class FlushWhileKeptTests : StorageTestBase
{
    [Fact]
    public async Task FlushCountedTooHigh_WhileAMessageIsKeptOnDisk_CompletesOnceNothingIsLeft()
    {
        // An outage: the message runs out of retries (none) and is kept on disk; its partition pauses for 30 s at a time.
        var collector = new StorageCollector { Up = false };
        await using var client = NewClient(collector);
        PushNumbers(client, 0, 1);
        var first = client.FlushAsync();
        await DriveUntilAsync(() => first.IsCompleted, TimeSpan.FromMilliseconds(100));
        collector.Attempts.Should().BeGreaterThan(0);
        client.Statistics.Pending.Should().Be(1, "the message is kept on disk");

        // The storage writer, polling the empty queue, stops right after counting its take; a flush registered then
        // counts one message too many.
        using var counted = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
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
        var flush = client.Dispatcher.FlushAsync(CancellationToken.None);
        release.Set();
        await advancing;

        // The kept message is tried every 30 s and kept again; nothing else comes. Two minutes of the fake clock.
        var until = Time.GetUtcNow() + TimeSpan.FromMinutes(2);
        while (!flush.IsCompleted && Time.GetUtcNow() < until)
        {
            Time.Advance(TimeSpan.FromMilliseconds(500));
            await Task.Delay(5);
        }

        try
        {
            flush.IsCompleted.Should().BeTrue("nothing is unread and the kept message counts as settled");
            client.Statistics.Pending.Should().Be(1);
            client.Statistics.Delivered.Should().Be(0);
            ShouldBeBalanced(client.Statistics);
        }
        finally
        {
            // The shutdown's deadline runs on the fake clock: moved until it ends (the message stays in the folder).
            var shutdown = client.ShutdownAsync();
            await DriveUntilAsync(() => shutdown.IsCompleted, TimeSpan.FromSeconds(1));
        }
    }
}
