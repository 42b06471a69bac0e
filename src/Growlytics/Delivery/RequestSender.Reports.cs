using GrowlyticsSdk.Diagnostics;
using GrowlyticsSdk.Protocols;

namespace GrowlyticsSdk.Delivery;

/// <summary>The sender's reports of what it dropped, and the refusal bodies it reads for them.</summary>
internal sealed partial class RequestSender
{
    // The latest message dropped as too large, and the latest outcome after which retries ran out: for the lines of those
    // counted after the last one (see ReportUnreportedRefusals).
    private int _latestTooLargeBytes;
    private string? _latestExhausted;

    /// <summary>
    /// Logs the drops counted since their last error line: refusals of each kind (event 2005), messages too large on their
    /// own (event 2008) and retries run out (event 2004). Called once, at shutdown: they would be in no line otherwise.
    /// </summary>
    public void ReportUnreportedRefusals()
    {
        _rejectReports.ReportUnreported();
        if (_tooLargeReports.TakeUnreported() is var tooLarge and > 0)
        {
            Log.MessageTooLarge(_logger, tooLarge, Volatile.Read(ref _latestTooLargeBytes));
        }

        if (_exhaustedReports.TakeUnreported() is var exhausted and > 0)
        {
            var latest = Volatile.Read(ref _latestExhausted) ?? "unknown";
            if (KeepOnRetriesExhausted)
            {
                Log.RetriesExhaustedKept(_logger, exhausted, latest, _target);
            }
            else
            {
                Log.RetriesExhausted(_logger, exhausted, latest, _target);
            }
        }
    }

    private async Task<RejectionDetails?> ReadRejectionSafelyAsync(HttpResponseMessage response, IReadOnlyList<ReadOnlyMemory<byte>> sent, CancellationToken cancellationToken)
    {
        try
        {
            return await _protocol.ReadRejectionAsync(response, sent, cancellationToken).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // An unreadable refusal body only means less detail in the log.
        catch (Exception)
#pragma warning restore CA1031
        {
            return null;
        }
    }
}
