using GrowlyticsSdk.Storage;

namespace GrowlyticsSdk.Tests.Storage;

/// <summary>
/// A flush with storage while calls keep coming: the storage writer's commit, which goes on while memory holds messages,
/// takes what memory held when the flush was taken and ends, so the flush does not wait for the calls to stop.
/// </summary>
public sealed class FlushWhileCallsKeepComingTests : StorageTestBase
{
    private const int MostRounds = 20_000;
    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(50);

    [Fact]
    public async Task FlushToStorage_WhileTheWritersCommitNeverFindsMemoryEmpty_EndsBeforeTheCallsStop()
    {
        // Asked for while a commit runs (it began with the first calls): that commit ends after its round, and the next
        // one takes what memory holds then and ends.
        var stream = new EndlessStream(StoredAsync);
        await using var client = NewClient(new StorageCollector { Up = false }, stream.Configure);
        stream.Start(client);
        var flush = await stream.AskedAsync(this);
        await DriveUntilAsync(() => flush.IsCompleted, Step, () => $"rounds {stream.Rounds}");
        var rounds = stream.Stop();
        var before = stream.PushedAtAsk;

        rounds.Should().BeLessThan(MostRounds, "the flush ended while the calls kept coming, not once they stopped");
        SegmentLoader.Load(Directory, long.MaxValue).Segments.Sum(s => s.Pending)
            .Should().BeGreaterThanOrEqualTo(before, "everything pushed before the flush is on disk when it ends");
        ShouldBeBalanced(client.Statistics);
    }

    [Fact]
    public async Task Flush_WhileTheWritersCommitNeverFindsMemoryEmpty_DeliversWhatCameBeforeAndEnds()
    {
        var stream = new EndlessStream(static c => c.FlushAsync());
        var collector = new StorageCollector { Up = true };
        await using var client = NewClient(collector, stream.Configure);
        stream.Start(client);
        var flush = await stream.AskedAsync(this);
        await DriveUntilAsync(() => flush.IsCompleted, Step, () => $"rounds {stream.Rounds}, delivered {client.Statistics.Delivered}");
        var rounds = stream.Stop();
        var before = stream.PushedAtAsk;

        rounds.Should().BeLessThan(MostRounds, "the flush ended while the calls kept coming, not once they stopped");
        collector.Numbers.Should().Contain(Enumerable.Range(0, before).Select(n => (long)n), "everything pushed before the flush is delivered when it ends");
        ShouldBeBalanced(client.Statistics);
    }

    /// <summary>
    /// Calls numbered 0, 1, 2, ...: a hundred at the start, then one more each time the storage writer appends a round, so
    /// its commit never finds memory empty (until <see cref="MostRounds"/>, or <see cref="Stop"/>). The flush is asked for
    /// from the writer's own round <see cref="AskRound"/>, and the calls stop once it has ended: how many rounds run while
    /// the test looks (all of them, when the writer's commit runs on the test's thread as it moves the clock) does not
    /// matter.
    /// </summary>
    private sealed class EndlessStream(Func<GrowlyticsClient, Task> ask)
    {
        private const int AskRound = 50;
        private readonly object _gate = new();
        private readonly TaskCompletionSource<Task> _asked = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private GrowlyticsClient? _client;
        private Task? _flush;
        private int _rounds;
        private int _pushed;
        private volatile bool _stopped;

        public int Rounds => Volatile.Read(ref _rounds);

        public int Pushed => Volatile.Read(ref _pushed);

        /// <summary>Gets how many calls were made when the flush was asked for.</summary>
        public int PushedAtAsk { get; private set; }

        /// <summary>Moves the clock until the writer's round has asked for the flush; returns the flush.</summary>
        public async Task<Task> AskedAsync(StorageTestBase test)
        {
            await test.DriveUntilAsync(() => _asked.Task.IsCompleted, Step);
            return await _asked.Task;
        }

        public void Configure(GrowlyticsOptions options) => options.BeforeStorageAppend = () =>
        {
            // Under the gate: once Stop returns no call is on its way, so the statistics read after it hold still.
            lock (_gate)
            {
                var round = Interlocked.Increment(ref _rounds);
                if (round == AskRound && _client is { } asking)
                {
                    PushedAtAsk = Pushed;
                    _flush = ask(asking);
                    _asked.TrySetResult(_flush);
                }

                // Not once the flush has ended: the writer's rounds may be running on the test's thread (moving the fake
                // clock ran them), which could not stop them otherwise.
                if (round < MostRounds && !_stopped && _flush is not { IsCompleted: true } && _client is { } client)
                {
                    // Only the writer pushes from here on: the numbers stay in call order.
                    PushNumbers(client, Pushed, 1);
                    Interlocked.Increment(ref _pushed);

                    // A round takes a millisecond at least, so the rounds count time: on a busy machine a writer free to
                    // loop ran its 20,000 rounds in under 3 s while the delivery the flush waited for got little CPU.
                    Thread.Sleep(1);
                }
            }
        };

        public void Start(GrowlyticsClient client)
        {
            // The writer may append a round while the first hundred are pushed: its calls are numbered from 100.
            Volatile.Write(ref _pushed, 100);
            Volatile.Write(ref _client, client);
            PushNumbers(client, 0, 100);
        }

        /// <summary>Stops the calls, waiting for one on its way; returns the rounds appended so far.</summary>
        public int Stop()
        {
            lock (_gate)
            {
                _stopped = true;
                return Rounds;
            }
        }
    }
}
