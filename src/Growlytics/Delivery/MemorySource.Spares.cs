using GrowlyticsSdk.Messages;
using GrowlyticsSdk.Threading;

namespace GrowlyticsSdk.Delivery;

/// <summary>The memory source's spare envelopes: delivered ones kept to carry later messages, and let go when unused.</summary>
internal sealed partial class MemorySource
{
    /// <summary>
    /// Takes back envelopes of this source's delivered messages to carry later ones, and gives their messages back to the
    /// calls' pool (<see cref="MessagePool"/>). The caller guarantees nothing refers to them any more: no partition,
    /// request, list or storage record. A kept envelope lets go of its message at once, and the pool clears the message, so
    /// delivered attribute values are not held in memory until they are used again.
    /// </summary>
    public void Reuse(List<Envelope> delivered)
    {
        foreach (var envelope in delivered)
        {
            _messagePool.Return(envelope.Message);
        }

        lock (_spareEnvelopes)
        {
            foreach (var envelope in delivered)
            {
                if (_spareEnvelopes.Count >= _maxSpareEnvelopes)
                {
                    return;
                }

                envelope.Forget();
                _spareEnvelopes.Push(envelope);
            }
        }
    }

    /// <summary>
    /// Gets a value indicating whether this source keeps more spare envelopes, or the calls' pool more messages (by more
    /// than a chunk), than they keep when quiet: <see cref="TrimUnused"/> could let some go.
    /// </summary>
    public bool HasSparesToTrim =>
        SpareCount > SparesKeptWhenQuiet || _messagePool.KeptMessages > MessagePool.KeptWhenQuiet + MessagePool.ChunkSize;

    /// <summary>Gets the spare envelopes kept now.</summary>
    public int SpareCount
    {
        get
        {
            lock (_spareEnvelopes)
            {
                return _spareEnvelopes.Count;
            }
        }
    }

    /// <summary>Gets how many envelopes reads have made because no spare was left, ever (for tests).</summary>
    public long EnvelopesMade => Interlocked.Read(ref _envelopesMade);

    /// <summary>
    /// Lets go of the spare envelopes no read needed since the last call (the fewest kept at any moment since), but keeps
    /// at least <see cref="SparesKeptWhenQuiet"/>: what a burst left goes back to the runtime once reads have not needed it
    /// for a while (the dispatcher calls this about once a minute), whether the client is quiet or busy with a few messages.
    /// The calls' pool of messages is trimmed likewise (<see cref="MessagePool.TrimUnused"/>).
    /// </summary>
    public void TrimUnused()
    {
        _messagePool.TrimUnused();

        lock (_spareEnvelopes)
        {
            var unused = Math.Min(_sparesLowWater, _spareEnvelopes.Count - SparesKeptWhenQuiet);
            if (unused > 0)
            {
                for (var i = 0; i < unused; i++)
                {
                    _spareEnvelopes.Pop();
                }

                _spareEnvelopes.TrimExcess();
            }

            _sparesLowWater = _spareEnvelopes.Count;
        }
    }

    /// <summary>An envelope for a message read from memory: a spare one when there is one (see <see cref="Reuse"/>), else a new one.</summary>
    private Envelope Wrap(UserMessage message)
    {
        if (_spareEnvelopes.Count == 0)
        {
            Interlocked.Increment(ref _envelopesMade);
            return new Envelope(message, this, null, MessageSize.Estimate(message));
        }

        var envelope = _spareEnvelopes.Pop();
        if (_spareEnvelopes.Count > 0)
        {
            CacheHint.Prefetch(_spareEnvelopes.Peek());
        }

        _sparesLowWater = Math.Min(_sparesLowWater, _spareEnvelopes.Count);
        envelope.Reuse(message, MessageSize.Estimate(message));
        return envelope;
    }
}
