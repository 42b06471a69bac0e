namespace GrowlyticsSdk.Tests.Storage;

/// <summary>A new segment that cannot be created in the middle of a commit: what was written stays written, once.</summary>
public sealed class SegmentRollFailureTests : StorageTestBase
{
    [Fact]
    public async Task RollFailsMidAppend_RecordsAlreadyWrittenAreNotAlsoHandedBack()
    {
        var rolls = 0;
        var collector = new StorageCollector();
        await using var client = NewClient(collector, o =>
        {
            o.MaxStorageBytes = 64 * 1024; // 4 KB segments
            // "No space" from the third new segment on (the fault seam is asked from the segment roll: found on the stack).
            o.StorageWriteFault = () =>
                new System.Diagnostics.StackTrace().ToString().Contains("SegmentLog.Roll") && Interlocked.Increment(ref rolls) >= 3
                    ? new IOException("No space left on device") : null;
        });

        const int total = 300;
        // A small commit leaves the active segment part full; the next, larger commits each fill it and roll mid-append.
        PushNumbers(client, 0, 10);
        await client.FlushAsync();
        PushNumbers(client, 10, total - 10);
        await DriveUntilAsync(() => Volatile.Read(ref rolls) >= 3, TimeSpan.FromMilliseconds(200));
        collector.Up = true;
        await DriveUntilAsync(() => client.Statistics.Pending == 0, TimeSpan.FromMilliseconds(200));

        var ids = collector.Messages.Select(m => m.MessageId).ToList();
        ids.Should().OnlyHaveUniqueItems("a message is either written to disk or handed back to memory, not both");
        client.Statistics.Delivered.Should().Be(total);
        ShouldBeBalanced(client.Statistics);
    }
}
