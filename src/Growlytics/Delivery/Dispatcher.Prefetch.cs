using GrowlyticsSdk.Threading;

namespace GrowlyticsSdk.Delivery;

/// <summary>The dispatcher's cache hints (see <see cref="CacheHint"/>).</summary>
internal sealed partial class Dispatcher
{
    /// <summary>
    /// Announces the first <paramref name="count"/> envelopes, then their messages, then their attribute arrays (each pass
    /// reads what the one before brought in), so a request's messages arrive in the caches together instead of one miss at
    /// a time: before a request is built from a partition's staged envelopes, and before an answered one is settled.
    /// </summary>
    private static void Prefetch(IReadOnlyList<Envelope> envelopes, int count)
    {
        if (!CacheHint.Enabled)
        {
            return;
        }

        count = Math.Min(count, envelopes.Count);
        for (var i = 0; i < count; i++)
        {
            CacheHint.Prefetch(envelopes[i]);
        }

        for (var i = 0; i < count; i++)
        {
            CacheHint.Prefetch(envelopes[i].Message);
        }

        for (var i = 0; i < count; i++)
        {
            CacheHint.Prefetch(envelopes[i].Message?.Attributes);
        }
    }
}
