using BenchmarkDotNet.Attributes;
using Growlytics.Benchmarks.Infrastructure;
using GrowlyticsSdk.Delivery;
using GrowlyticsSdk.Messages;

namespace Growlytics.Benchmarks.Delivery;

/// <summary>
/// The delivery loop's bookkeeping in the containers it fills once or twice for every message, for a burst's worth of
/// messages (50,000: megabytes, more than the core's caches hold, as in the end-to-end benchmark): delivered messages
/// and their attribute arrays given back to the calls' pool and taken again by calls (<see cref="ReturnAndRent"/>), and
/// messages staged in as many partitions as a client has (4,096) and taken out again for requests
/// (<see cref="StageAndTake"/>). The time column is per message.
/// </summary>
[ShortJob]
public class RecyclingBenchmarks
{
    private const int Count = 50_000;
    private const int Partitions = PartitionSet.MinimumCount;
    private static readonly DateTimeOffset Timestamp = new(2026, 12, 3, 12, 0, 0, TimeSpan.Zero);

    private readonly MessagePool _pool = new(threadCaches: true);
    private readonly Deque<Envelope>[] _partitions = Enumerable.Range(0, Partitions).Select(_ => new Deque<Envelope>()).ToArray();
    private UserMessage[] _messages = null!;
    private Envelope[] _envelopes = null!;

    [GlobalSetup]
    public void Setup()
    {
        _messages = new UserMessage[Count];
        for (var i = 0; i < Count; i++)
        {
            _messages[i] = _pool.Rent(MessageType.Update, i, Timestamp, "anonymous-1", null, _pool.RentAttributes(3));
        }

        // In a shuffled order, as messages from many users reach the loop.
        var random = new Random(42);
        _envelopes = _messages.Select(m => new Envelope(m, null!, null, 0)).OrderBy(_ => random.Next()).ToArray();
    }

    [Benchmark(OperationsPerInvoke = Count)]
    public void ReturnAndRent()
    {
        var messages = _messages;
        for (var i = 0; i < messages.Length; i++)
        {
            _pool.Return(messages[i]);
        }

        for (var i = 0; i < messages.Length; i++)
        {
            messages[i] = _pool.Rent(MessageType.Update, i, Timestamp, "anonymous-1", null, _pool.RentAttributes(3));
        }
    }

    [Benchmark(OperationsPerInvoke = Count)]
    public long StageAndTake()
    {
        var envelopes = _envelopes;
        for (var i = 0; i < envelopes.Length; i++)
        {
            var envelope = envelopes[i];
            envelope.Ticket = i;
            envelope.Partition = (int)((uint)(i * 2_654_435_761L) % Partitions);
            _partitions[envelope.Partition].AddLast(envelope);
        }

        long taken = 0;
        foreach (var partition in _partitions)
        {
            while (partition.Count > 0)
            {
                taken += partition.RemoveFirst().Ticket;
            }
        }

        return taken;
    }
}
