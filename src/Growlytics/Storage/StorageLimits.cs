using GrowlyticsSdk.Diagnostics;
using Microsoft.Extensions.Logging;

namespace GrowlyticsSdk.Storage;

/// <summary>
/// Keeps the stored queue within <see cref="GrowlyticsOptions.MaxStorageBytes"/> and
/// <see cref="GrowlyticsOptions.MaxStorageAge"/> by dropping the oldest segments, counted by reason.
/// </summary>
internal sealed class StorageLimits
{
    private readonly long _maxBytes;
    private readonly TimeSpan _maxAge;
    private readonly TimeProvider _time;
    private readonly DeliveryCounters _counters;
    private readonly ILogger _logger;

    public StorageLimits(GrowlyticsOptions options, DeliveryCounters counters, ILogger logger)
    {
        _maxBytes = options.MaxStorageBytes;
        _maxAge = options.MaxStorageAge;
        _time = options.TimeProvider;
        _counters = counters;
        _logger = logger;

        // About sixteen segments: dropping the oldest one gives back a sixteenth of the space, not all of it.
        SegmentBytes = Math.Min(Math.Max(_maxBytes / 16, 4 * 1024), 1024 * 1024);
        MaxFileBytes = SegmentBytes + RecordFormat.RecordHeaderSize + RecordFormat.MaxPayload;
    }

    /// <summary>Gets the size at which the writer starts a new segment file.</summary>
    public long SegmentBytes { get; }

    /// <summary>Gets the size no segment written by this version exceeds; a larger file is damage.</summary>
    public long MaxFileBytes { get; }

    public long ExpiredBeforeMs() => (_time.GetUtcNow() - _maxAge).ToUnixTimeMilliseconds();

    /// <summary>Drops the oldest segments while a limit is exceeded; waits while a batch is in flight (it is settled first).</summary>
    public void Enforce(SegmentLog log)
    {
        if (log.InFlight > 0)
        {
            return;
        }

        var cutoff = ExpiredBeforeMs();
        try
        {
            while (log.Oldest is { } oldest)
            {
                DropReason reason;
                if (log.TotalBytes > _maxBytes && (log.SegmentCount > 1 || oldest.Pending > 0))
                {
                    reason = DropReason.StorageFull;
                }
                else if (oldest.Pending > 0 && oldest.NewestMs < cutoff)
                {
                    reason = DropReason.Expired;
                }
                else
                {
                    return;
                }

                CountDropped(reason, log.DropOldest());
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Tried again at the next commit.
            Log.StorageWriteFailed(_logger, ex.GetType().Name);
        }
    }

    public void CountDropped(DropReason reason, long count)
    {
        if (count > 0)
        {
            _counters.AddDropped(reason, count);
            Log.StorageDropped(_logger, count, reason);
        }
    }
}
