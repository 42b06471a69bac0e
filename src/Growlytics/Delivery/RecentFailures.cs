namespace GrowlyticsSdk.Delivery;

/// <summary>
/// The outcomes of the last <see cref="Window"/> attempts on the wire (failed: a transient status or a network fault),
/// so a retry can tell a failure of its own batch (most other requests succeed) from a widespread one.
/// </summary>
internal sealed class RecentFailures
{
    /// <summary>How many of the latest attempts are remembered.</summary>
    public const int Window = 32;

    /// <summary>How many attempts must be known before failures can be called a minority.</summary>
    public const int MinimumKnown = 16;

    private readonly object _gate = new();
    private readonly bool[] _failed = new bool[Window];
    private int _next;
    private int _known;
    private int _failures;

    /// <summary>Records one attempt's outcome.</summary>
    public void Record(bool failed)
    {
        lock (_gate)
        {
            if (_known == Window)
            {
                _failures -= _failed[_next] ? 1 : 0;
            }
            else
            {
                _known++;
            }

            _failed[_next] = failed;
            _failures += failed ? 1 : 0;
            _next = (_next + 1) % Window;
        }
    }

    /// <summary>
    /// Gets a value indicating whether at least <see cref="MinimumKnown"/> attempts are known and fewer than half of them
    /// failed. A client that has just started, or whose requests mostly fail, is never in the minority case.
    /// </summary>
    public bool FailuresAreAMinority
    {
        get
        {
            lock (_gate)
            {
                return _known >= MinimumKnown && _failures * 2 < _known;
            }
        }
    }
}
