using GrowlyticsSdk.Messages;
using GrowlyticsSdk.Validation;

namespace GrowlyticsSdk.Sessions;

/// <summary>
/// REST: queues a login's upsert for one customer, split into several upserts (in order) when its attributes exceed the
/// per-request limit, never truncated. The first upsert settles the calls the others do not, so the
/// <see cref="UserMessage.Calls"/> of the parts add up to the calls the login settles.
/// </summary>
internal static class UpsertMessages
{
    /// <param name="client">The client to queue on.</param>
    /// <param name="anonymousId">The session's anonymous id (kept on the message; REST does not send it).</param>
    /// <param name="userId">The customer.</param>
    /// <param name="attributes">The merged attributes; at least one.</param>
    /// <param name="calls">The calls the upsert settles (the login, if it is one, plus the held pushes); at least the number of parts.</param>
    /// <param name="heldCalls">How many of <paramref name="calls"/> were held pushes, counted as held until now.</param>
    public static void Enqueue(GrowlyticsClient client, string anonymousId, string userId, UserAttribute[] attributes, int calls, int heldCalls)
    {
        var max = client.AttributeLimits.MaxAttributes;
        var parts = (attributes.Length + max - 1) / max;
        var now = client.TimeProvider.GetUtcNow();
        var heldLeft = heldCalls;
        for (var part = 0; part < parts; part++)
        {
            var start = part * max;
            var chunk = new UserAttribute[Math.Min(max, attributes.Length - start)];
            Array.Copy(attributes, start, chunk, 0, chunk.Length);
            var partCalls = part == 0 ? calls - (parts - 1) : 1;

            // The held pushes were counted accepted when they were held: the queue counts only the parts' other calls, so
            // Enqueued never goes back while they move from held to queued.
            var counted = Math.Min(partCalls, heldLeft);
            heldLeft -= counted;
            client.Enqueue(new UserMessage(MessageType.Update, MessageIds.Next(), now, anonymousId, userId, chunk, partCalls), counted);
        }

        // They are in the queue now (or dropped by it), no longer held.
        client.Counters.ReleaseHeld(heldCalls);
    }
}
