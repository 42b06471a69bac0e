using GrowlyticsSdk.Diagnostics;

namespace GrowlyticsSdk.Sessions;

// What leaves the store other than by a login: expiry, the shutdown and the user's privacy requests.
internal sealed partial class HeldAttributeStore
{
    /// <summary>
    /// Drops and counts what has expired, and forgets the logins past their window (the timer's work; also done on every
    /// access). A sweep that leaves nothing held or remembered stops the timer; the next visitor or login starts it again.
    /// </summary>
    public void Sweep()
    {
        Drops drops = default;
        try
        {
            ITimer? stopped = null;
            lock (_gate)
            {
                var now = Now();
                drops.Expired = RemoveExpiredLocked(now);
                ForgetExpiredLoginsLocked(now);
                ShrinkIndexesLocked();
                if (_byId.Count == 0 && _logins.Count == 0)
                {
                    stopped = _sweeper;
                    _sweeper = null;
                }
            }

            stopped?.Dispose();

            Report(drops);
        }
#pragma warning disable CA1031 // A timer callback must not take the process down; the next sweep tries again.
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }

    /// <summary>
    /// At shutdown: what is still held will never meet a login in this process; it is counted as dropped. The caller logs
    /// it (event 6003) together with the process-wide session's, in one line.
    /// </summary>
    /// <returns>How many held calls of how many visitors were dropped.</returns>
    public (long Calls, long Sessions) Close()
    {
        Tally dropped;
        lock (_gate)
        {
            _closed = true;
            ForgetLoginsLocked();
            dropped = default;
            while (_byActivity.First is { } oldest)
            {
                dropped.Add(RemoveLocked(oldest, DropReason.Shutdown));
            }

            ShrinkIndexesLocked();

            _sweeper?.Dispose();
            _sweeper = null;
        }

        if (dropped.Calls > 0)
        {
            RaiseDropped(DropReason.Shutdown, dropped.Calls);
        }

        return (dropped.Calls, dropped.Sessions);
    }

    /// <summary>
    /// At the user's privacy request: drops every visitor's held attributes, counted as <see cref="DropReason.OptedOut"/>.
    /// With <paramref name="optOut"/>, later pushes are counted so too instead of held, until <see cref="OptIn"/>.
    /// </summary>
    public void DropAll(bool optOut)
    {
        Tally dropped = default;
        lock (_gate)
        {
            _optedOut |= optOut;

            // An opt-out keeps which user each id logged in as (as the session file keeps its user id): pushes made
            // under such an id after OptIn are still that user's. A deletion forgets them.
            if (!optOut)
            {
                ForgetLoginsLocked();
            }
            while (_byActivity.First is { } oldest)
            {
                dropped.Add(RemoveLocked(oldest, DropReason.OptedOut));
            }

            ShrinkIndexesLocked();
        }

        if (dropped.Calls > 0)
        {
            Log.HeldAttributesDroppedForPrivacy(_logger, dropped.Calls, dropped.Sessions);
            RaiseDropped(DropReason.OptedOut, dropped.Calls);
        }
    }

    /// <summary>Holds pushes again after <see cref="DropAll"/> with opt-out.</summary>
    public void OptIn()
    {
        lock (_gate)
        {
            _optedOut = false;
        }
    }
}
