namespace GrowlyticsSdk.Delivery;

/// <summary>
/// What the sender knows of the <see cref="ApiKeyHandler"/>s of <c>AddGrowlytics</c>' client (one per container): whether
/// the client's handlers hold one (read as the <see cref="GrowlyticsClient"/> is created), and whether one ever saw a
/// request without the key's ticket (a copy of a request that an app's handler sent on without its options). With a key
/// handler in the chain and no such copy seen, a request that no key handler saw was answered before it by an app's
/// handler (a client-side rate limiter's 429, an offline switch's 503) and never sent: its answer is taken as it is, and
/// the key is not put on the request itself (where the app's handlers and request logging would see it).
/// </summary>
internal sealed class KeyHandlerWatch
{
    private int _inChain;
    private int _copySeen;

    /// <summary>
    /// Gets a value indicating whether a request the SDK gave the key to that no key handler saw was answered by an app's
    /// handler, never sent (see the summary).
    /// </summary>
    public bool AnsweredBeforeTheKeyHandler => Volatile.Read(ref _inChain) != 0 && Volatile.Read(ref _copySeen) == 0;

    /// <summary>Reads whether <paramref name="handler"/>'s chain of <see cref="DelegatingHandler"/>s holds a key handler.</summary>
    public void Inspect(HttpMessageHandler handler)
    {
        // A chain deeper than 64, or one with a handler of another kind before the key handler, is taken as holding none.
        HttpMessageHandler? current = handler;
        for (var depth = 0; current is DelegatingHandler delegating && depth < 64; depth++)
        {
            if (delegating is ApiKeyHandler)
            {
                Volatile.Write(ref _inChain, 1);
                return;
            }

            current = delegating.InnerHandler;
        }

        Volatile.Write(ref _inChain, 0);
    }

    /// <summary>A key handler saw a request without a ticket: an app's handler sends copies without their options.</summary>
    public void CopySeen() => Volatile.Write(ref _copySeen, 1);
}
