namespace GrowlyticsSdk.Storage;

/// <summary>
/// Calls a storage limit dropped (<see cref="DropReason.StorageFull"/>, <see cref="DropReason.Expired"/>), summed by
/// reason, so a run of drops is reported in one go (see <see cref="StorageLimits.Report(in StorageDrops)"/>). Other reasons are not the
/// limits' and are left out.
/// </summary>
internal struct StorageDrops
{
    /// <summary>Gets the calls dropped as <see cref="DropReason.StorageFull"/>.</summary>
    public long Full { get; private set; }

    /// <summary>Gets the calls dropped as <see cref="DropReason.Expired"/>.</summary>
    public long Expired { get; private set; }

    public void Add(DropReason reason, long calls)
    {
        if (reason == DropReason.StorageFull)
        {
            Full += calls;
        }
        else if (reason == DropReason.Expired)
        {
            Expired += calls;
        }
    }
}
