using GrowlyticsSdk.Polyfills;
using GrowlyticsSdk.Serialization;

namespace GrowlyticsSdk.Delivery;

/// <summary>The dispatcher's request buffers: each request's messages written back to back in one reused buffer.</summary>
internal sealed partial class Dispatcher
{
    // A batch of 100 three-attribute updates takes 25-35 KB; buffers that grew beyond MaxKeptBatchBufferBytes for an
    // unusually large request are not kept, nor more than MaxSpareBatchBuffers.
    private const int InitialBatchBufferBytes = 64 * 1024;
    private const int MaxKeptBatchBufferBytes = 128 * 1024;
    private const int MaxSpareBatchBuffers = 16;
    private const int MaxSpareBatches = 16;

    // Request buffers whose requests have ended, for the next ones (only the loop's thread takes and returns them).
    private readonly Stack<ByteBufferWriter> _spareBuffers = new();

    // Batches (their lists) whose requests have ended, likewise: a batch of 100 holds about 4 KB of lists.
    private readonly Stack<Batch> _spareBatches = new();

    // How often memory lets go of the spare envelopes (and the pool of the messages) no read needed meanwhile (see
    // TrimUnusedSpares).
    private static readonly TimeSpan SpareTrimInterval = TimeSpan.FromMinutes(1);

    // The soonest an idle loop's trim timer turns it (see SpareTrimWake).
    private static readonly TimeSpan MinimumTrimWait = TimeSpan.FromSeconds(1);

    // When the loop last had memory let go of unneeded spare envelopes. Loop only.
    private long _sparesTrimmedAt = long.MinValue;

    /// <summary>
    /// About once a <see cref="SpareTrimInterval"/>, on any turn: memory lets go of the spare envelopes no read needed since
    /// the last time (those in use are not spare, and those taken meanwhile lowered the mark), keeping
    /// <see cref="MemorySource.SparesKeptWhenQuiet"/>, and the calls' pool of messages likewise
    /// (<see cref="MemorySource.TrimUnused"/>); the partitions let go of the lists that took no message since the last time
    /// and are empty (<see cref="PartitionSet.TrimUnused"/>). What a burst left goes one to two intervals after its last
    /// use (an idle loop is turned for it by <see cref="SpareTrimWake"/>).
    /// </summary>
    private void TrimUnusedSpares(long now)
    {
        if (_sparesTrimmedAt == long.MinValue)
        {
            _sparesTrimmedAt = now;
        }
        else if (_time.GetElapsedTime(_sparesTrimmedAt, now) >= SpareTrimInterval)
        {
            _memory.TrimUnused();
            _partitions.TrimUnused();
            _sparesTrimmedAt = now;
        }
    }

    /// <summary>Gets the number of partitions (for tests).</summary>
    internal int PartitionCount => _partitions.Size;

    /// <summary>Gets the number of partitions that keep a list (a loop-only figure read as it is: for tests).</summary>
    internal int PartitionLists => _partitions.ListCount;

    /// <summary>Gets the slots the partitions' lists have room for, all together (a loop-only figure read as it is: for tests).</summary>
    internal int PartitionListSlots => _partitions.ListSlots;

    /// <summary>Gets the tickets the ticket window has room for (a loop-only figure read as it is: for tests).</summary>
    internal long TicketSlots => _tickets.Capacity;

    // Turns an idle loop once a trim interval while memory keeps more spare envelopes, or the pool more messages, than they
    // keep when quiet, or a partition keeps a list (see SpareTrimWake). Loop only.
    private Task? _trimTimer;

    /// <summary>
    /// What an idle loop also waits for: nothing else turns it until the next message, so while memory keeps more spare
    /// envelopes or pooled messages than it keeps when quiet (<see cref="MemorySource.HasSparesToTrim"/>), or a partition
    /// keeps a list (<see cref="PartitionSet.ListCount"/>), a timer turns it when the next trim is due (about once a
    /// <see cref="SpareTrimInterval"/>) to let them go.
    /// </summary>
    private Task SpareTrimWake()
    {
        if (_trimTimer is { IsCompleted: true })
        {
            _trimTimer = null;
        }

        if (_trimTimer is null && (_memory.HasSparesToTrim || _partitions.ListCount > 0))
        {
            // Due when the next trim is (a full interval would let a turn just short of it pass, and the trim wait another
            // interval), at least a second on: a turn that does not trim (while memory's messages go to storage) sets
            // the next timer no sooner.
            var due = _sparesTrimmedAt == long.MinValue ? SpareTrimInterval : SpareTrimInterval - _time.GetElapsedTime(_sparesTrimmedAt);
            _trimTimer = LoopTimer(due > MinimumTrimWait ? due : MinimumTrimWait);
        }

        return _trimTimer ?? Never;
    }

    /// <summary>An empty batch that writes into <paramref name="buffer"/>: a spare one if there is one.</summary>
    private Batch RentBatch(int capacity, ByteBufferWriter buffer)
    {
        if (_spareBatches.Count > 0)
        {
            var batch = _spareBatches.Pop();
            batch.Reuse(buffer);
            return batch;
        }

        return new Batch(capacity, buffer);
    }

    /// <summary>
    /// A request has ended and its batch is settled or back in its partitions: a message that outlives it takes a copy of
    /// its bytes, and the buffer and the batch are kept for another request (unless <paramref name="reuse"/> is
    /// <see langword="false"/>: a request still being built from them). Nothing may use the batch afterwards.
    /// </summary>
    private void Recycle(Batch batch, bool reuse = true)
    {
        foreach (var envelope in batch.Envelopes)
        {
            envelope.Payload = envelope.IsSettled ? default : envelope.Payload.ToArray();
        }

        if (!reuse)
        {
            return;
        }

        if (batch.ReleaseBuffer() is { } buffer)
        {
            ReturnBuffer(buffer);
        }

        if (_spareBatches.Count < MaxSpareBatches && batch.Envelopes.Capacity <= 128)
        {
            batch.Clear();
            _spareBatches.Push(batch);
        }
    }

    private void ReturnBuffer(ByteBufferWriter buffer)
    {
        if (buffer.Capacity <= MaxKeptBatchBufferBytes && _spareBuffers.Count < MaxSpareBatchBuffers)
        {
            // Zeroed, not just emptied: the messages it held (user ids, attribute values) must not stay in a kept buffer,
            // as they do not in the body buffers or the calls' pool, nor outlive a deletion of the user's local data.
            buffer.Erase();
            _spareBuffers.Push(buffer);
        }
    }

    /// <summary>The messages of one request, their bytes (one buffer, a view per message) and the partitions it blocks.</summary>
    private sealed class Batch
    {
        private ByteBufferWriter? _buffer;

        public Batch(int capacity, ByteBufferWriter buffer)
        {
            Envelopes = new List<Envelope>(Math.Min(capacity, 128));
            Lengths = new List<int>(Math.Min(capacity, 128));
            Views = new List<ReadOnlyMemory<byte>>(Math.Min(capacity, 128));
            _buffer = buffer;
            CallsIn = (start, count) =>
            {
                long calls = 0;
                for (var i = start; i < start + count; i++)
                {
                    calls += Envelopes[i].Message.Calls;
                }

                return calls;
            };
        }

        /// <summary>
        /// Gets the calls its messages from an index (and how many) settle, for the sender's log lines, which count calls as
        /// the statistics do. Made once per batch (batches are reused), read while its request runs.
        /// </summary>
        public Func<int, int, long> CallsIn { get; }

        public List<Envelope> Envelopes { get; }

        /// <summary>Gets each message's length, in the order of <see cref="Envelopes"/> (written back to back).</summary>
        public List<int> Lengths { get; }

        /// <summary>Gets each message's bytes: views valid until the batch is recycled.</summary>
        public List<ReadOnlyMemory<byte>> Views { get; }

        public List<int> Partitions { get; } = [];

        /// <summary>Empties a recycled batch (its requests have ended) for a new request written into <paramref name="buffer"/>.</summary>
        public void Reuse(ByteBufferWriter buffer) => _buffer = buffer;

        public void Clear()
        {
            Envelopes.Clear();
            Lengths.Clear();
            Views.Clear();
            Partitions.Clear();
            Next = null;
            Prepared = null;
            _buffer = null;
            KeptBytes = 0;
            CountedBytes = 0;
            CountedAhead = false;
        }

        /// <summary>
        /// Gets or sets its partition's next batch, written while this one is in flight (see <see cref="WriteAhead"/>),
        /// or <see langword="null"/>.
        /// </summary>
        public Batch? Next { get; set; }

        /// <summary>Gets or sets the request built for it ahead of its send (a batch written ahead), or <see langword="null"/>.</summary>
        public PreparedRequest? Prepared { get; set; }

        /// <summary>
        /// Takes the views of the messages once the buffer is written (it no longer grows). A request much smaller than
        /// its buffer (a REST upsert, what a flush sends last) takes an exact copy instead and returns the buffer, to be
        /// reused at once: a request that waits out a backoff holds only its own bytes.
        /// </summary>
        public ByteBufferWriter? Seal()
        {
            var buffer = _buffer!;
            ReadOnlyMemory<byte> bytes;
            ByteBufferWriter? released = null;
            if (buffer.WrittenCount * 4L < buffer.Capacity)
            {
                bytes = buffer.WrittenSpan.ToArray();
                released = buffer;
                _buffer = null;
                KeptBytes = bytes.Length;
            }
            else
            {
                bytes = buffer.Slice(0, buffer.WrittenCount);
                KeptBytes = buffer.Capacity;
            }

            var start = 0;
            for (var i = 0; i < Envelopes.Count; i++)
            {
                var view = bytes.Slice(start, Lengths[i]);
                Views.Add(view);
                Envelopes[i].Payload = view;
                start += Lengths[i];
            }

            return released;
        }

        /// <summary>
        /// Replaces the sealed body's buffer by an exact copy of what it holds (the views and the messages' payloads move to
        /// it) and returns the buffer, or returns <see langword="null"/> if the body is an exact copy already. Only before
        /// anything reads the views on another thread (the request has not started, and no request built ahead from it is
        /// still being built).
        /// </summary>
        public ByteBufferWriter? Trim()
        {
            if (_buffer is not { } buffer)
            {
                return null;
            }

            ReadOnlyMemory<byte> bytes = buffer.WrittenSpan.ToArray();
            _buffer = null;
            KeptBytes = bytes.Length;
            var start = 0;
            for (var i = 0; i < Envelopes.Count; i++)
            {
                var view = bytes.Slice(start, Lengths[i]);
                Views[i] = view;
                Envelopes[i].Payload = view;
                start += Lengths[i];
            }

            return buffer;
        }

        /// <summary>
        /// Gets the bytes its sealed body keeps (its buffer's capacity, or its exact copy): counted toward
        /// <see cref="GrowlyticsOptions.MaxQueueBytes"/> while its request is on its way.
        /// </summary>
        public long KeptBytes { get; private set; }

        /// <summary>
        /// Gets or sets the bytes its request counts toward the queue's bound from its start (or, written ahead, from when
        /// it was written) to its end.
        /// </summary>
        public long CountedBytes { get; set; }

        /// <summary>Gets or sets a value indicating whether it was written ahead and counted then (see WriteAhead), and has not started yet.</summary>
        public bool CountedAhead { get; set; }

        /// <summary>Hands the buffer back once nothing reads the views any more, if the batch still has it.</summary>
        public ByteBufferWriter? ReleaseBuffer()
        {
            var buffer = _buffer;
            _buffer = null;
            return buffer;
        }
    }
}
