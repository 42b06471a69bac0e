using GrowlyticsSdk.Protocols;

namespace GrowlyticsSdk.Delivery;

/// <summary>
/// The dispatcher's side of writing ahead. While a request for one partition is on the wire, that partition's next
/// request is written (its messages taken from the partition and marked as sending, so it stays one request at a time and
/// in order) and its HTTP request built (<see cref="PreparedRequest"/>); it goes out as soon as the answer to the first
/// says every message was delivered, before that answer is settled. A user with more than one request's worth staged
/// then waits between requests for the round trip only, not for writing and compressing as well. Any other answer (a
/// failure, messages kept, a cancellation) puts the written request back at the head of its partition, behind what the
/// first one keeps.
/// </summary>
internal sealed partial class Dispatcher
{
    // The requests in flight (the loop's thread only).
    private readonly List<Batch> _sending = [];
    private readonly Action? _beforeBuildAhead;
    private int _writtenAheadWaiting;
    private long _writtenAheadSent;
    private long _preparedSent;

    /// <summary>Gets the number of requests written ahead that wait for the answer to their partition's request.</summary>
    public int WrittenAheadWaiting => Volatile.Read(ref _writtenAheadWaiting);

    /// <summary>Gets the number of requests written ahead that were sent as soon as the request before them was answered.</summary>
    public long WrittenAheadSent => Interlocked.Read(ref _writtenAheadSent);

    /// <summary>Gets the number of those whose first attempt used the body compressed ahead (see <see cref="PreparedRequest"/>).</summary>
    public long PreparedSent => Interlocked.Read(ref _preparedSent);

    /// <summary>
    /// Writes the next request of each partition that has one request in flight and a full one staged, unless another
    /// partition could be sent now: with many users, their new requests come first, and a user with much to send does
    /// not keep a slot to itself while others wait.
    /// </summary>
    private void WriteAhead()
    {
        var perRequest = _protocol.MaxMessagesPerRequest;
        if (HasReadyRequest(perRequest) || SendingHeld)
        {
            return;
        }

        foreach (var sending in _sending)
        {
            if (sending.Next is not null || sending.Partitions.Count != 1)
            {
                continue;
            }

            var partition = sending.Partitions[0];
            if (!_partitions.IsBlocked(partition) || !HasRequestStaged(partition, perRequest))
            {
                continue;
            }

            var next = BuildBatch(perRequest, partition);
            if (next.Envelopes.Count == 0)
            {
                Recycle(next);
                continue;
            }

            // Its body counts toward MaxQueueBytes from now on, as a request's on its way does (a buffer that would take the
            // queue past its bound is cut to an exact copy first: nothing reads it yet), not only once it starts: it is held
            // for as long as the request before it is on the wire.
            next.CountedBytes = CountedBytes(next);
            next.CountedAhead = true;
            _queue.AddRequestBytes(next.CountedBytes);
            sending.Next = next;
            next.Prepared = Prepare(next);

            // Counted once built: whoever sees the count sees a request written (and its body compressed) already.
            Interlocked.Increment(ref _writtenAheadWaiting);
        }
    }

    // Nothing new goes out: the key was refused, the user opted out, or a privacy request cancelled the sends.
    private bool SendingHeld => _keyRetryAt != long.MinValue || _optedOut || _sendScope.IsCancellationRequested;

    /// <summary>
    /// Starts building the request of a batch written ahead on a pool thread (its body compressed there, off the loop's
    /// thread and off the path between requests). A fault ends the build with no request: the request is built again when
    /// it is sent, where a fault is handled like any other.
    /// </summary>
    private PreparedRequest Prepare(Batch next)
    {
        var builtAt = _time.GetTimestamp();
        var build = new PendingBuild(_protocol, next.Views, _time.GetUtcNow(), _beforeBuildAhead);
        return new PreparedRequest(Task.Factory.StartNew(PendingBuild.Run, build, CancellationToken.None, TaskCreationOptions.DenyChildAttach, TaskScheduler.Default), _time, builtAt);
    }

    // A full request staged, or, while draining, whatever is staged once nothing more is waiting to be read (a partial
    // request written now would leave later messages for one more request).
    private bool HasRequestStaged(int partition, int perRequest)
    {
        var count = _partitions.CountOf(partition);
        if (count >= perRequest || _partitions.BytesOf(partition) >= _protocol.MaxRequestBytes)
        {
            return true;
        }

        return count > 0 && (!_protocol.WaitsToFill || _drainAll || _stopping) && !_memory.HasUnread;
    }

    /// <summary>
    /// A request has ended: starts its partition's next request if one was written and every message was delivered
    /// (returns <see langword="true"/>: the partition stays blocked, now by the next request); otherwise puts the written
    /// request back at the head of its partition.
    /// </summary>
    private bool TryHandOn(Batch batch, List<SendResult>? results)
    {
        if (batch.Next is not { } next)
        {
            return false;
        }

        batch.Next = null;
        Interlocked.Decrement(ref _writtenAheadWaiting);
        if (results is not null && AllDelivered(results, batch.Envelopes.Count) && !SendingHeld && _limiter.TryAcquireForNew())
        {
            Start(next);
            Interlocked.Increment(ref _writtenAheadSent);
            return true;
        }

        PutBack(next);
        return false;
    }

    /// <summary>Puts every written-ahead request back at the head of its partition (before everything held is dropped).</summary>
    private void PutBackWrittenAhead()
    {
        foreach (var sending in _sending)
        {
            if (sending.Next is { } next)
            {
                sending.Next = null;
                Interlocked.Decrement(ref _writtenAheadWaiting);
                PutBack(next);
            }
        }
    }

    private void PutBack(Batch next)
    {
        // A request still being built reads the batch's views and buffer: they are left to it, not reused.
        var building = next.Prepared is { IsBuilding: true };
        next.Prepared?.Dispose();
        next.Prepared = null;

        // Its body no longer counts: its messages go back to their partition with copies of their bytes (see Recycle).
        _queue.AddRequestBytes(-next.CountedBytes);
        next.CountedBytes = 0;
        next.CountedAhead = false;
        var back = new List<Envelope>(next.Envelopes.Count);
        foreach (var envelope in next.Envelopes)
        {
            EndSending(envelope, back);
        }

        _partitions.ReturnToFront(next.Partitions[0], back);
        Recycle(next, reuse: !building);
    }

    /// <summary>What <see cref="Prepare"/> builds on a pool thread.</summary>
    private sealed class PendingBuild(IWireProtocol protocol, List<ReadOnlyMemory<byte>> views, DateTimeOffset sentAt, Action? beforeBuild)
    {
        public static readonly Func<object?, HttpRequestMessage?> Run = static state => ((PendingBuild)state!).Build();

        private HttpRequestMessage? Build()
        {
            try
            {
                beforeBuild?.Invoke();
                return protocol.CreateRequest(views, sentAt);
            }
#pragma warning disable CA1031 // Built again when it is sent, where a fault is handled like any other.
            catch (Exception)
#pragma warning restore CA1031
            {
                return null;
            }
        }
    }

    private static bool AllDelivered(List<SendResult> results, int count)
    {
        var delivered = 0;
        foreach (var result in results)
        {
            if (result.Outcome != SendOutcome.Delivered)
            {
                return false;
            }

            delivered += result.Count;
        }

        return delivered == count;
    }
}
