namespace GrowlyticsSdk.Tests.Storage;

/// <summary>
/// With <see cref="GrowlyticsOptions.StorageDirectory"/>, a shutdown with no time left (a zero
/// <see cref="GrowlyticsOptions.ShutdownTimeout"/>, or a token already cancelled, as a host that spent its stop budget
/// passes) still lets the storage writer write what memory holds, within a short grace past its deadline: a local write
/// takes milliseconds, and those messages are kept in the folder for the next start, not dropped with the process. A
/// writer stuck past that grace (a stalled disk) does not hold the shutdown: what it did not take is counted dropped.
/// </summary>
public sealed class ShutdownWithNoTimeLeftTests : StorageTestBase
{
    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(20);

    // How long the write the writer is in when the shutdown begins takes (a flush to disk under load).
    private static readonly TimeSpan WriteTakes = TimeSpan.FromMilliseconds(60);

    private readonly StorageCollector _collector = new() { Up = false };

    [Fact]
    public async Task Shutdown_WithAZeroTimeout_LetsTheWriterWriteWhatMemoryHolds()
    {
        using var write = new HeldWrite(Time, WriteTakes);
        var client = await InAWriteWithMessagesInMemoryAsync(write, o => o.ShutdownTimeout = TimeSpan.Zero);

        await DriveUntilDoneAsync(client, write, client.ShutdownAsync());

        await ShouldHaveKeptNumbersInTheFolderAsync(client, _collector, 51, Step);
    }

    [Fact]
    public async Task Shutdown_WithATokenAlreadyCancelled_LetsTheWriterWriteWhatMemoryHolds()
    {
        using var write = new HeldWrite(Time, WriteTakes);
        var client = await InAWriteWithMessagesInMemoryAsync(write);

        await DriveUntilDoneAsync(client, write, client.ShutdownAsync(new CancellationToken(canceled: true)));

        await ShouldHaveKeptNumbersInTheFolderAsync(client, _collector, 51, Step);
    }

    [Fact]
    public async Task Dispose_WithAZeroTimeout_LetsTheWriterWriteWhatMemoryHolds()
    {
        using var write = new HeldWrite(Time, WriteTakes);
        var client = await InAWriteWithMessagesInMemoryAsync(write, o => o.ShutdownTimeout = TimeSpan.Zero);

        await DriveUntilDoneAsync(client, write, Task.Run(client.Dispose));
        // Dispose's own bound is real time (ShutdownTimeout plus 1.5 s with storage), which a loaded machine can use up
        // while this test's clock steps through the grace: then it returns with the shutdown going on in the background,
        // which is waited for here (its last write is what this test is about).
        await DriveUntilDoneAsync(client, write, client.ShutdownAsync());

        await ShouldHaveKeptNumbersInTheFolderAsync(client, _collector, 51, Step);
    }

    [Fact]
    public async Task Shutdown_WithAZeroTimeoutAndAWriteStuckPastTheGrace_ReturnsAndCountsWhatMemoryHoldsDropped()
    {
        using var write = new HeldWrite(Time, Timeout.InfiniteTimeSpan);
        var client = await InAWriteWithMessagesInMemoryAsync(write, o => o.ShutdownTimeout = TimeSpan.Zero);
        try
        {
            var began = Time.GetUtcNow();
            await ShutDownDrivingAsync(client, Step);

            (Time.GetUtcNow() - began).Should().BeLessThan(TimeSpan.FromSeconds(1), "the writer gets a short grace past the deadline, no more");
            client.Statistics.DroppedByReason[DropReason.Shutdown].Should().Be(50, "what memory held was never written");
            client.Statistics.Pending.Should().Be(1, "the writer still holds the first message");
            ShouldBeBalanced(client.Statistics);
        }
        finally
        {
            // The writer finishes its write (then the client releases the folder) before the folder goes.
            write.Release.Set();
            await DriveUntilAsync(() => client.StorageWriterStopped, Step);
        }
    }

    /// <summary>
    /// Moves the fake clock in steps until <paramref name="task"/> completes, while the held write waits on it and once the
    /// writer has stopped; not while the writer works on after the held write (its real time on a busy machine is no time
    /// on the clock, which would otherwise run past the shutdown's grace meanwhile).
    /// </summary>
    private async Task DriveUntilDoneAsync(GrowlyticsClient client, HeldWrite write, Task task)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!task.IsCompleted)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Not done; fake clock at {Time.GetUtcNow():O}.");
            }

            if (!write.Done || client.StorageWriterStopped)
            {
                Time.Advance(Step);
            }

            await Task.Delay(5);
        }

        await task;
    }

    /// <summary>
    /// A client (its collector down) whose storage writer is in a write of the number 0, held by <paramref name="write"/>,
    /// while the numbers 1 to 50 wait in memory for its next commit.
    /// </summary>
    private async Task<GrowlyticsClient> InAWriteWithMessagesInMemoryAsync(HeldWrite write, Action<GrowlyticsOptions>? configure = null)
    {
        var client = NewClient(_collector, o =>
        {
            o.TimeProvider = new PoolTimers(Time);
            o.BeforeStorageAppend = write.HoldNext;
            configure?.Invoke(o);
        });
        await DriveUntilAsync(() => client.Durable!.IsOwner, Step);

        write.Armed = true;
        PushNumbers(client, 0, 1);
        await DriveUntilAsync(() => write.Inside.IsSet, Step);
        PushNumbers(client, 1, 50);
        return client;
    }

    /// <summary>
    /// Holds the writer's next write for a time on the fake clock (<see cref="Timeout.InfiniteTimeSpan"/>: until
    /// <see cref="Release"/> is set).
    /// </summary>
    private sealed class HeldWrite(Microsoft.Extensions.Time.Testing.FakeTimeProvider time, TimeSpan hold) : IDisposable
    {
        private int _armed;
        private volatile bool _done;

        public ManualResetEventSlim Inside { get; } = new();

        public ManualResetEventSlim Release { get; } = new();

        /// <summary>Gets a value indicating whether the held write has gone on.</summary>
        public bool Done => _done;

        public bool Armed
        {
            set => Volatile.Write(ref _armed, value ? 1 : 0);
        }

        public void HoldNext()
        {
            if (Interlocked.Exchange(ref _armed, 0) != 1)
            {
                return;
            }

            var until = time.GetUtcNow() + (hold == Timeout.InfiniteTimeSpan ? TimeSpan.FromDays(1) : hold);
            Inside.Set();
            var realLimit = DateTime.UtcNow + TimeSpan.FromSeconds(30);
            while (time.GetUtcNow() < until && !Release.IsSet && DateTime.UtcNow < realLimit)
            {
                Release.Wait(TimeSpan.FromMilliseconds(2));
            }

            _done = true;
        }

        public void Dispose()
        {
            Release.Set();
            Inside.Dispose();
            Release.Dispose();
        }
    }
}
