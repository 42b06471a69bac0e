using GrowlyticsSdk.Storage;
using Microsoft.Extensions.Time.Testing;

namespace GrowlyticsSdk.Tests.Storage;

/// <summary>A temporary storage folder per test, and clients wired to a <see cref="StorageCollector"/>.</summary>
public abstract class StorageTestBase : IDisposable
{
    protected StorageTestBase()
    {
        Directory = Path.Combine(Path.GetTempPath(), "growlytics-tests", Guid.NewGuid().ToString("N"));
    }

    protected string Directory { get; }

    protected FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 1, 5, 10, 0, 0, TimeSpan.Zero));

    public void Dispose()
    {
        try
        {
            if (System.IO.Directory.Exists(Directory))
            {
                System.IO.Directory.Delete(Directory, recursive: true);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // A client whose writer missed the shutdown deadline keeps its files open until the writer stops (Windows
            // refuses to delete open files); the temporary folder is left behind.
        }

        GC.SuppressFinalize(this);
    }

    internal static void PushNumbers(GrowlyticsClient client, int from, int count)
    {
        for (var n = from; n < from + count; n++)
        {
            client.User.Push(new Dictionary<string, object?> { ["n"] = n });
        }
    }

    /// <summary>Stateless updates carrying the numbers <paramref name="from"/> on, one customer each (one partition each).</summary>
    internal static void UpdateCustomerNumbers(GrowlyticsClient client, int from, int count)
    {
        for (var n = from; n < from + count; n++)
        {
            client.Customers.Update("customer-" + n, new Dictionary<string, object?> { ["n"] = n });
        }
    }

    /// <summary>
    /// After <paramref name="client"/>'s shutdown: the numbers 0 to <paramref name="count"/> - 1 it had in memory were
    /// written to the folder, none dropped, and the next client delivers them once the service is up.
    /// </summary>
    internal async Task ShouldHaveKeptNumbersInTheFolderAsync(GrowlyticsClient client, StorageCollector collector, int count, TimeSpan step)
    {
        client.Statistics.Dropped.Should().Be(0, "what memory held went to the folder: {0}", string.Join(", ", client.Statistics.DroppedByReason.Where(r => r.Value > 0)));
        client.Statistics.Pending.Should().Be(count);
        ShouldBeBalanced(client.Statistics);
        SegmentLoader.Load(Directory, long.MaxValue).Segments.Sum(s => s.Pending).Should().Be(count);

        collector.Up = true;
        collector.Hang = false;
        await using var next = NewClient(collector);
        var flush = next.FlushAsync();
        await DriveUntilAsync(() => flush.IsCompleted && next.Statistics.Delivered == count, step);
        collector.Numbers.Should().BeEquivalentTo(Enumerable.Range(0, count).Select(n => (long)n));
        ShouldBeBalanced(next.Statistics);
    }

    /// <summary>A client that stored the numbers 0 to <paramref name="count"/> - 1 (its collector is down) and holds the folder.</summary>
    internal async Task<GrowlyticsClient> HoldingStoredNumbersAsync(int count)
    {
        var client = NewClient(new StorageCollector());
        PushNumbers(client, 0, count);
        await client.FlushAsync();
        return client;
    }

    /// <summary>Shuts the client down while moving the fake clock in steps (its deadline runs on that clock).</summary>
    internal async Task ShutDownDrivingAsync(GrowlyticsClient client, TimeSpan step)
    {
        var shutdown = client.ShutdownAsync();
        await DriveUntilAsync(() => shutdown.IsCompleted, step);
        await shutdown;
    }

    /// <summary>Waits, moving the fake clock, until the storage writer has written everything queued before the call.</summary>
    internal async Task WrittenAsync(GrowlyticsClient client)
    {
        var written = client.Durable!.FlushAsync(CancellationToken.None);
        await DriveUntilAsync(() => written.IsCompleted, TimeSpan.FromMilliseconds(100));
    }

    /// <summary>Written to storage, not delivered (<see cref="GrowlyticsClient.FlushToStorageAsync"/>).</summary>
    internal static Task StoredAsync(GrowlyticsClient client) => client.FlushToStorageAsync();

    /// <summary>
    /// The folder's files' total size now. The storage writer may delete a spent segment while the folder is listed: a
    /// file gone by the time it is measured counts as nothing; no folder, as no file.
    /// </summary>
    protected long FolderBytes() => System.IO.Directory.Exists(Directory)
        ? new DirectoryInfo(Directory).EnumerateFiles().Sum(StorageLimits.LengthOrZero)
        : 0;

    internal static void ShouldBeBalanced(GrowlyticsStatistics statistics) =>
        statistics.Enqueued.Should().Be(statistics.Delivered + statistics.Dropped + statistics.Pending);

    internal GrowlyticsClient NewClient(StorageCollector collector, Action<GrowlyticsOptions>? configure = null) => NewClient(collector, configure, startDelivery: true);

    /// <summary>As <see cref="NewClient(StorageCollector, Action{GrowlyticsOptions}?)"/>; without <paramref name="startDelivery"/>, the test starts the writer and the loop.</summary>
    internal GrowlyticsClient NewClient(StorageCollector collector, Action<GrowlyticsOptions>? configure, bool startDelivery)
    {
        var options = new GrowlyticsOptions
        {
            ApiKey = "test-key",
            Protocol = GrowlyticsProtocol.Batch,
            Endpoint = new Uri("http://127.0.0.1:9/"),
            StorageDirectory = Directory,
            HttpClient = new HttpClient(collector),
            TimeProvider = Time,

            // The tests move the fake clock in steps while the collector answers in real time: on a busy machine the
            // default 10 s would pass before an answer and a request the collector accepted would be tried again.
            RequestTimeout = TimeSpan.FromMinutes(10),

            // Likewise the whole budget of a request's attempts (2 minutes by default, on the fake clock), which a test that
            // moves the clock fast passes in a few seconds of real time: a request held up that long on a busy machine was
            // cut short and kept, and its partly filled batch then waited for the flush interval.
            RetryBudget = TimeSpan.FromHours(1),
            MaxRetryAttempts = 0,
            FlushOnProcessExit = false,
        };
        configure?.Invoke(options);
        return new GrowlyticsClient(options, startDelivery);
    }

    /// <summary>
    /// Moves the fake clock in steps until the condition holds (the library waits only on this clock); throws when it
    /// does not within a generous real-time bound.
    /// </summary>
    internal Task DriveUntilAsync(Func<bool> condition, TimeSpan step) => DriveUntilAsync(condition, step, static () => string.Empty);

    /// <summary>
    /// As <see cref="DriveUntilAsync(Func{bool}, TimeSpan)"/>; a timeout's message ends with what <paramref name="state"/>
    /// says then. With <paramref name="mayAdvance"/>, the clock moves only at the steps where it holds.
    /// </summary>
    internal async Task DriveUntilAsync(Func<bool> condition, TimeSpan step, Func<string> state, Func<bool>? mayAdvance = null)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Condition not met; fake clock at {Time.GetUtcNow():O}. {state()}");
            }

            if (mayAdvance is null || mayAdvance())
            {
                Time.Advance(step);
            }

            await Task.Delay(5);
        }
    }

    /// <summary>
    /// As <see cref="DriveUntilAsync(Func{bool}, TimeSpan, Func{string}, Func{bool})"/>, but moves the fake clock only while none of
    /// <paramref name="client"/>'s attempts is on its way: an answer the collector gives in real time is never late on the
    /// fake clock (its request's timeout does not pass while a busy machine delays it). For phases where requests must
    /// not time out; what waits on the clock (pauses, the circuit's break, the flush interval) waits with nothing on its way.
    /// </summary>
    internal Task DriveBetweenAttemptsUntilAsync(GrowlyticsClient client, Func<bool> condition, TimeSpan step, Func<string> state) =>
        DriveUntilAsync(condition, step, state, () => client.Dispatcher.Sender.AttemptsPastCircuit == 0);

    /// <summary>
    /// Pushes rounds of <paramref name="round"/> numbers, from <paramref name="next"/>, moving the fake clock between
    /// them, until <paramref name="condition"/> holds; returns the number after the last one pushed.
    /// </summary>
    internal async Task<int> PushRoundsUntilAsync(GrowlyticsClient client, int next, int round, Func<bool> condition, TimeSpan step)
    {
        await DriveUntilAsync(
            () =>
            {
                PushNumbers(client, next, round);
                next += round;
                return condition();
            },
            step);
        return next;
    }

    /// <summary>
    /// Stores the numbers 0 to <paramref name="count"/> - 1 in small segments (the collector down), releases the folder, and
    /// returns the segment files, oldest first.
    /// </summary>
    internal async Task<string[]> StoreNumbersInSmallSegmentsAsync(int count)
    {
        await using (var client = NewClient(new StorageCollector(), static o => o.MaxStorageBytes = 64 * 1024))
        {
            PushNumbers(client, 0, count);
            await StoredAsync(client);
        }

        var segments = SegmentFiles();
        segments.Length.Should().BeGreaterThan(2, "the numbers take several segments");
        return segments;
    }

    /// <summary>
    /// A client (its collector down) whose storage writer is held inside a write, under the stored queue's lock, as by a
    /// slow disk, while <paramref name="whileHeld"/> runs; the fake clock is moved meanwhile, and the writer is released
    /// afterwards (also when an assertion failed).
    /// </summary>
    internal async Task WhileTheWriterIsHeldInAWriteAsync(Func<GrowlyticsClient, Task> whileHeld, TimeSpan step)
    {
        using var writerInside = new ManualResetEventSlim();
        using var releaseWriter = new ManualResetEventSlim();
        var holdNextWrite = 0;
        await using var client = NewClient(new StorageCollector { Up = false }, o => o.StorageWriteFault = () =>
        {
            if (Interlocked.Exchange(ref holdNextWrite, 0) == 1)
            {
                writerInside.Set();
                releaseWriter.Wait(TimeSpan.FromSeconds(30));
            }

            return null;
        });
        await DriveUntilAsync(() => client.Durable!.IsOwner, step);

        Volatile.Write(ref holdNextWrite, 1);
        PushNumbers(client, 0, 1);
        var driving = Task.Run(() => DriveUntilAsync(() => writerInside.IsSet, step));
        try
        {
            writerInside.Wait(TimeSpan.FromSeconds(30)).Should().BeTrue();
            await whileHeld(client);
        }
        finally
        {
            releaseWriter.Set();
            await driving;
        }
    }

    internal string[] SegmentFiles() => System.IO.Directory.GetFiles(Directory, "queue-*.seg").Order(StringComparer.Ordinal).ToArray();
}
