using System.Collections.Concurrent;
using GrowlyticsSdk.Diagnostics;
using Microsoft.Extensions.Logging;

namespace GrowlyticsSdk.Delivery;

/// <summary>
/// The error log of refusals (event 2005): each kind (status, field and rule) at most once per interval, with how many
/// messages of that kind were refused since its last line, so a refusal of another kind (a 422 naming its field after a
/// run of 400s) is not folded into the first kind's count; what is still unreported is logged at shutdown.
/// </summary>
internal sealed class RejectionReports
{
    // Kinds kept apart; beyond them (answers naming many different fields), refusals share one line with the latest kind.
    private const int MaxKinds = 32;

    private readonly ConcurrentDictionary<Kind, LogRateLimiter> _kinds = new();
    private readonly LogRateLimiter _others;
    private readonly TimeProvider _time;
    private readonly TimeSpan _interval;
    private readonly ILogger _logger;
    private readonly string _target;
    private volatile Kind? _latestOther;

    public RejectionReports(TimeProvider time, TimeSpan interval, ILogger logger, string target)
    {
        _time = time;
        _interval = interval;
        _logger = logger;
        _target = target;
        _others = new LogRateLimiter(time, interval);
    }

    /// <summary>Counts <paramref name="count"/> messages refused with this status, field and rule; logs them when their kind's interval allows.</summary>
    public void Report(long count, int status, string path, string rule)
    {
        var kind = new Kind(status, path, rule);
        if (!_kinds.TryGetValue(kind, out var limiter))
        {
            if (_kinds.Count < MaxKinds)
            {
                limiter = _kinds.GetOrAdd(kind, _ => new LogRateLimiter(_time, _interval));
            }
            else
            {
                limiter = _others;
                _latestOther = kind;
            }
        }

        if (limiter.TryReport(count, out var reported))
        {
            var shown = ReferenceEquals(limiter, _others) ? _latestOther ?? kind : kind;
            Log.BatchRejected(_logger, reported, shown.Status, shown.Path, shown.Rule, _target);
        }
    }

    /// <summary>Logs every kind with refusals counted since its last line (at shutdown: they would not be logged otherwise).</summary>
    public void ReportUnreported()
    {
        foreach (var pair in _kinds)
        {
            if (pair.Value.TakeUnreported() is var count and > 0)
            {
                Log.BatchRejected(_logger, count, pair.Key.Status, pair.Key.Path, pair.Key.Rule, _target);
            }
        }

        if (_others.TakeUnreported() is var others and > 0 && _latestOther is { } shown)
        {
            Log.BatchRejected(_logger, others, shown.Status, shown.Path, shown.Rule, _target);
        }
    }

    private sealed record Kind(int Status, string Path, string Rule);
}
