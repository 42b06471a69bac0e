using GrowlyticsSdk.Diagnostics;
using GrowlyticsSdk.Threading;

namespace GrowlyticsSdk.Storage;

// Trying a failed disk again when there is nothing new to write.
internal sealed partial class DurableQueue
{
    private const int ProbeBytes = 512;

    /// <summary>
    /// After a write failed, tells whether the disk works again by writing a small temporary file of this client's in the
    /// folder (a copy of the position's name, which the next start deletes if a kill leaves it); if it does, the folder is
    /// the buffer again (event 4013). The writer tries the disk again only with messages to write: at shutdown, the
    /// messages that went to memory meanwhile would otherwise be dropped with the process although the disk has room.
    /// Completes at once when no write has failed, or the folder is not this client's.
    /// </summary>
    public Task<bool> TryDiskAgainAsync() =>
        !_failing || !_owner || _closed || _heldByAnother ? Task.FromResult(!_failing) : BackgroundWork.Start(ProbeDisk);

    private bool ProbeDisk()
    {
        // A write of the writer's that fails while the probe runs counts one more failure: the probe then does not say
        // the disk works (it would clear that failure).
        var failures = Interlocked.Read(ref _failuresSinceWorking);
        var probe = Path.Combine(_directory, AckFile.FileName + "." + Guid.NewGuid().ToString("N") + ".tmp");
        try
        {
            if (_options.StorageWriteFault?.Invoke() is { } fault)
            {
                throw fault;
            }

            using (var stream = StorageFiles.Open(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                stream.Write(new byte[ProbeBytes], 0, ProbeBytes);
                stream.Flush(flushToDisk: true);
            }

            File.Delete(probe);
        }
#pragma warning disable CA1031 // Still failing: already reported by the write that failed; memory keeps what it holds.
        catch (Exception)
#pragma warning restore CA1031
        {
            TryDeleteProbe(probe);
            return false;
        }

        // A shutdown past its deadline may have closed the store meanwhile: the folder is no longer this client's to use.
        if (_failing && !_closed && Interlocked.CompareExchange(ref _failuresSinceWorking, 0, failures) == failures)
        {
            _failing = false;
            Interlocked.Exchange(ref _failuresSinceReport, 0);
            Log.StorageRecovered(_logger, failures);
        }

        return !_failing;
    }

    private static void TryDeleteProbe(string probe)
    {
        try
        {
            File.Delete(probe);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Deleted at the next start (see SegmentLoader).
        }
    }
}
